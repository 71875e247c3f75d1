"""The one configuration object, read from the environment (prefix BESTOFN_).

Nothing else in the project reads ``os.environ``: import ``get_settings()``.
The LLM endpoint also honours the conventional ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY`` names so any OpenAI-compatible client setup carries over.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from sandbox.config import SandboxConfig

IsolationMode = Literal["per_candidate", "per_task"]


class Settings(BaseSettings):
    """Every tunable of the service; defaults are safe (limits on, CORS off)."""

    model_config = SettingsConfigDict(env_prefix="BESTOFN_", env_file=None, extra="ignore")

    # --- storage and queue -------------------------------------------------
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL. Empty: embedded SQLite file under data_dir.",
    )
    redis_url: str = Field(
        default="",
        description="Celery broker/result URL. Empty: Celery runs tasks eagerly in-process.",
    )
    celery_queue: str = Field(default="bestofn", description="Queue the API sends tasks to and workers read.")
    broker_visibility_timeout_s: int = Field(
        default=3600,
        description="Seconds before Redis redelivers an unacknowledged task (a worker that died).",
    )
    task_lease_s: float = Field(default=60.0, description="A worker's claim on a task, renewed while it works.")
    task_soft_time_limit_s: int = 1800
    task_time_limit_s: int = 1900
    data_dir: Path = Field(default=Path.home() / ".bestofn", description="Embedded-mode state.")

    # --- LLM endpoint ---------------------------------------------------------
    openai_base_url: str = Field(
        default="",
        validation_alias=AliasChoices("OPENAI_BASE_URL", "BESTOFN_OPENAI_BASE_URL"),
        description="OpenAI-compatible endpoint. Empty: start the bundled tiny demo model.",
    )
    openai_api_key: SecretStr = Field(
        default=SecretStr("sk-local"),
        validation_alias=AliasChoices("OPENAI_API_KEY", "BESTOFN_OPENAI_API_KEY"),
    )
    model: str = Field(default="smollm2-135m-instruct", description="Default model name.")
    llm_timeout_s: float = 120.0
    llm_max_retries: int = 1
    llm_max_tokens: int = 512
    llm_concurrency: int = 8
    # Embedded demo model (bestofn.localmodel): llama.cpp server in a child process.
    local_model_threads: int = Field(default=0, ge=0, description="CPU threads; 0: llama.cpp's default (all cores).")
    local_model_ctx: int = Field(default=16384, ge=512, description="Total context, split evenly across slots.")
    local_model_parallel: int = Field(default=8, ge=1, description="Concurrent request slots (continuous batching).")
    local_model_startup_timeout_s: float = Field(default=60.0, gt=0)
    local_model_omp_passive: bool = Field(
        default=True,
        description="OpenMP threads sleep instead of spinning while waiting: on a shared CPU, spinning "
        "collapses llama.cpp's throughput (measured 0.6 vs 34 tok/s on a loaded 2-core box).",
    )
    price_table: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {
            # USD per 1M tokens (input, output); unknown models cost 0 and say so.
            "gpt-4o": (2.50, 10.00),
            "gpt-4o-mini": (0.15, 0.60),
            "gpt-4.1": (2.00, 8.00),
            "gpt-4.1-mini": (0.40, 1.60),
        },
        description="Per-model price in USD per 1M (input, output) tokens, JSON.",
    )

    # --- task limits ------------------------------------------------------------
    default_n: int = 8
    max_n: int = 64
    default_revisions: int = Field(default=2, ge=0, le=16,
                                   description="Revision rounds under strategy 'revise' when neither the task nor "
                                               "its tier sets max_revisions.")
    max_prompt_chars: int = 32_000
    max_tests_chars: int = 256_000
    max_body_bytes: int = 1_000_000

    # --- sandbox ------------------------------------------------------------------
    sandbox_image: str = Field(default="", description="Image name; empty: bestofn-sandbox:<runner hash>.")
    sandbox_isolation: IsolationMode = "per_task"
    sandbox_timeout_s: float = Field(default=10.0, gt=0, description=(
        "CPU seconds for a candidate's tests; `bestofn eval` on humaneval and mbpp defaults to 3, their "
        "harnesses' limit."))
    sandbox_memory_mb: int = 256
    sandbox_cpus: float = 1.0
    sandbox_pids_limit: int = 64
    sandbox_tmpfs_mb: int = 64
    sandbox_output_limit_bytes: int = 64 * 1024
    sandbox_parallelism: int = 4
    sandbox_user: str = Field(default="65534:65534", description="uid:gid the candidate's code runs as.")
    sandbox_grader_user: str = Field(
        default="65533:65533", description="uid:gid the trusted grader runs as (must differ from sandbox_user)."
    )
    docker_host: str = Field(default="", description="Docker engine URL; empty: the environment's default.")
    sandbox_probe_timeout_s: float = Field(default=2.0, gt=0, description="Per-call limit of behaviour probes.")
    sandbox_probe_max_timeouts: int = Field(
        default=2, ge=0, description="A program that timed out on this many probe inputs (smallest first) is not called on "
                                     "the rest, which count as timeouts (no answer); 0: call it on every input.")
    sandbox_warm_runners: bool = Field(
        default=True, description="per_task: reuse runner containers across the sandbox calls of ONE task or eval run "
                                  "(swept between calls as between candidates); false: a fresh container per call.")
    sandbox_warm_idle_s: float = Field(default=20.0, gt=0, description="A warm runner with no work for this long exits.")
    sandbox_warm_max_uses: int = Field(default=200, ge=1, description="Sandbox calls one warm runner serves at most.")
    sandbox_debian_mirror: str = Field(
        default="", description="Debian mirror for the offline image build; empty: this machine's apt sources."
    )
    run_id: str = Field(
        default="", pattern=r"^[A-Za-z0-9_.-]*$",
        description="Adds the label bestofn.run=<id> to every sandbox container, so a run sharing a Docker "
                    "engine (scripts/test.sh sets one per run) counts and clears only its own; empty: no label.",
    )

    # --- CI bot (bestofn bot propose) ----------------------------------------------
    bot_test_timeout_s: float = Field(default=300.0, gt=0, description="Wall clock for one run of the repo's test command.")
    bot_memory_mb: int = Field(default=1024, ge=64, description="Memory limit of a bot test container.")
    bot_tmpfs_mb: int = Field(default=512, ge=16, description="Size of /work (repository copy) in a bot container.")
    bot_context_tokens: int = Field(default=6000, ge=500, description="Budget for the failing output, issue and files.")
    bot_max_tokens: int = Field(default=2048, ge=64, description="Reply limit per candidate patch.")
    bot_temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    github_token: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("BESTOFN_GITHUB_TOKEN", "GITHUB_TOKEN"),
        description="Token for --github (pull requests, comments); never sent to containers or logged.",
    )
    github_api_url: str = Field(default="https://api.github.com", description="GitHub (or GHES) REST API base URL.")
    github_repo_slug: str = Field(
        default="",
        validation_alias=AliasChoices("BESTOFN_GITHUB_REPO_SLUG", "GITHUB_REPOSITORY"),
        description="owner/name for --github when --repo-slug is not given.",
    )

    # --- ranking --------------------------------------------------------------------
    self_consistency_min_agreement: float = 0.5
    judge_model: str = ""
    seed: int = 0
    judge_twice: bool = Field(default=True, description="Ask the judge again with the order reversed (position bias).")
    judge_top_k: int = Field(default=4, ge=2, le=8, description="Candidates (cluster representatives) the judge sees.")
    judge_max_tokens: int = 256
    judge_max_code_chars: int = 2000
    generated_inputs: int = Field(default=8, ge=0, le=64, description="Probe inputs to ask the model for; 0: none.")
    mutated_inputs: int = Field(default=8, ge=0, le=64, description="Probe inputs made by mutating known ones; 0: none.")
    generate_inputs_below: int = Field(
        default=4, ge=0,
        description="Ask the model for inputs only when the prompt, tests and mutation give fewer than this many.",
    )
    probe_inputs_max: int = Field(default=32, ge=1, le=256)
    codet_tests: int = Field(default=10, ge=1, le=64, description="Tests to ask the model for under strategy codet.")

    # --- budget, metrics, logs (bestofn/budget, bestofn/metrics.py, bestofn/logs.py) ----------
    policy_file: Path | None = Field(
        default=None, description="Inference policy TOML (tiers, guardrails); empty: bestofn/policies/default.toml."
    )
    log_format: Literal["json", "text"] = Field(default="json", description="API and worker log lines.")
    log_level: str = Field(default="INFO", description="Root log level of the API and worker.")

    # --- API --------------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    cors_origins: list[str] = Field(default_factory=list, description="Allowed browser origins; empty: CORS off.")
    require_api_key: bool | None = Field(
        default=None,
        description="Require an API key on every route but /healthz. Unset: required when a database URL is "
                    "configured (a served deployment), not for the embedded SQLite default on a laptop.",
    )
    api_rate_per_s: float = Field(default=10.0, ge=0, description="Per-key requests per second; 0: no limit.")
    api_burst: int = Field(default=50, ge=1, description="Per-key requests allowed at once before the rate applies.")
    api_max_active_tasks: int = Field(default=20, ge=0, description="Per-key tasks and evaluation runs not yet ended; 0: no limit.")

    # --- sweeper (bestofn/sweeper.py) -------------------------------------------------
    sweep_interval_s: float = Field(default=30.0, ge=0, description="Seconds between a worker's sweeps; 0: off.")
    sweep_queued_after_s: float = Field(default=120.0, gt=0, description="Requeue a queued task with no broker message after this.")
    task_max_attempts: int = Field(default=3, ge=1, description="Claims of a task before the sweeper fails it.")

    @property
    def effective_database_url(self) -> str:
        """The configured database, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'bestofn.sqlite3'}"

    @property
    def api_keys_required(self) -> bool:
        """``require_api_key`` when set, else whether a real database is configured."""
        return self.require_api_key if self.require_api_key is not None else bool(self.database_url)

    @property
    def embedded_broker(self) -> bool:
        """True when no Redis is configured: Celery runs tasks eagerly in-process."""
        return not self.redis_url

    def sandbox_config(self) -> SandboxConfig:
        """The sandbox's configuration: the one place settings become the ``config`` every sandbox call takes."""
        from sandbox.config import SandboxConfig  # late: reading settings needs neither the sandbox nor the Docker SDK

        return SandboxConfig(
            image=self.sandbox_image, isolation=self.sandbox_isolation, parallelism=self.sandbox_parallelism,
            timeout_s=self.sandbox_timeout_s, memory_mb=self.sandbox_memory_mb, cpus=self.sandbox_cpus,
            pids_limit=self.sandbox_pids_limit, tmpfs_mb=self.sandbox_tmpfs_mb,
            output_limit_bytes=self.sandbox_output_limit_bytes, probe_timeout_s=self.sandbox_probe_timeout_s,
            probe_max_timeouts=self.sandbox_probe_max_timeouts, user=self.sandbox_user, grader_user=self.sandbox_grader_user, run_id=self.run_id,
            docker_host=self.docker_host, debian_mirror=self.sandbox_debian_mirror,
            warm_runners=self.sandbox_warm_runners, warm_idle_s=self.sandbox_warm_idle_s,
            warm_max_uses=self.sandbox_warm_max_uses,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read settings once per process."""
    return Settings()
