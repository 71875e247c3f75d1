"""The CI bot: from a repository whose tests fail to the best tested patch (``bestofn bot propose``)."""
