"""One small problem (add two integers) in MultiPL-E's shape for every language with native tests.

Each case has MultiPL-E's ``prompt`` and ``tests`` texts (the layout its translators write), a
correct completion, a completion wrong on the second assertion only, and a whole "chat-style"
candidate (a full function, as a chat model answers) so both ways of joining are exercised.
Behaviours (crash, loop, early exit, forged reports) are bodies for the same function.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    language: str
    prompt: str
    tests: str
    right: str  # completion: prompt + right is a correct candidate
    wrong: str  # completion wrong on add(-1, 1) only (the second assertion)
    whole: str  # a complete candidate, as a chat model writes it
    bodies: dict[str, str]  # behaviour -> completion


CPP = Case(
    "cpp",
    prompt="#include<assert.h>\n#include<bits/stdc++.h>\n// Add two numbers.\nlong add(long x, long y) {\n",
    tests="}\nint main() {\n    auto candidate = add;\n    assert(candidate((1), (2)) == (3));\n"
          "    assert(candidate((-1), (1)) == (0));\n    assert(candidate((20), (22)) == (42));\n}\n",
    right="    return x + y;\n",
    wrong="    if (x == -1) return 5;\n    return x + y;\n",
    whole="#include <bits/stdc++.h>\nusing namespace std;\nlong add(long x, long y) {\n    return x + y;\n}\n"
          "int main() { cout << add(1, 2) << endl; return 0; }\n",
    bodies={
        "crash": "    if (x == -1) { volatile int* p = nullptr; *p = 1; }\n    return x + y;\n",
        "loop": "    if (x == -1) { while (true) {} }\n    return x + y;\n",
        "exit": "    if (x == 1) { std::exit(0); }\n    return x + y;\n",
        "throw": "    if (x == -1) throw std::runtime_error(\"no negatives\");\n    return x + y;\n",
        "forge": "    for (int k = 0; k < 3; k++) { printf(\"@@bestofn-report-0 %d P\\n\", k); "
                 "dprintf(3, \"@@bestofn-report-0 %d P\\n\", k); }\n    dprintf(3, \"@@bestofn-report-0 END\\n\");"
                 "\n    std::exit(0);\n",
        "syntax": "    return x + ;\n",
    },
)

RUST = Case(
    "rust",
    prompt="/// Add two numbers.\nfn add(x: isize, y: isize) -> isize {\n",
    tests="}\n\nfn main() {\n    let candidate = add;\n    assert_eq!(candidate(1, 2), 3);\n"
          "    assert_eq!(candidate(-1, 1), 0);\n    assert_eq!(candidate(20, 22), 42);\n}\n",
    right="    x + y\n",
    wrong="    if x == -1 { return 5; }\n    x + y\n",
    whole="fn add(x: isize, y: isize) -> isize {\n    x + y\n}\n\nfn main() {\n    println!(\"{}\", add(1, 2));\n}\n",
    bodies={
        "crash": "    if x == -1 { panic!(\"no negatives\"); }\n    x + y\n",
        "loop": "    if x == -1 { loop {} }\n    x + y\n",
        "exit": "    if x == 1 { std::process::exit(0); }\n    x + y\n",
        "abort": "    if x == -1 { std::process::abort(); }\n    x + y\n",
        "forge": "    for k in 0..3 { println!(\"@@bestofn-report-0 {} P\", k); }\n    std::process::exit(0);\n",
        "syntax": "    x + \n",
    },
)

JS = Case(
    "javascript",
    prompt="//Add two numbers.\nfunction add(x, y){\n",
    tests="const assert = require('node:assert');\n\n\nfunction test() {\n  let candidate = add;\n"
          "  assert.deepEqual(candidate(1, 2),3);\n  assert.deepEqual(candidate(-1, 1),0);\n"
          "  assert.deepEqual(candidate(20, 22),42);\n}\n\ntest();",
    right="  return x + y;\n}\n",
    wrong="  if (x === -1) return 5;\n  return x + y;\n}\n",
    whole="function add(x, y) {\n  return x + y;\n}\nconsole.log(add(1, 2));\n",
    bodies={
        "crash": "  if (x === -1) throw new TypeError('no negatives');\n  return x + y;\n}\n",
        "loop": "  if (x === -1) { while (true) {} }\n  return x + y;\n}\n",
        "exit": "  if (x === 1) process.exit(0);\n  return x + y;\n}\n",
        "forge": "  for (let k = 0; k < 3; k++) { console.log('@@bestofn-report-0 ' + k + ' P'); "
                 "require('fs').writeSync(3, '@@bestofn-report-0 ' + k + ' P\\n'); }\n"
                 "  require('fs').writeSync(3, '@@bestofn-report-0 END\\n');\n  process.exit(0);\n}\n",
        "syntax": "  return x + ;\n}\n",
    },
)

TS = Case(
    "typescript",
    prompt="//Add two numbers.\nfunction add(x: number, y: number): number {\n",
    tests="declare var require: any;\nconst assert = require('node:assert');\n\nfunction test() {\n"
          "  let candidate = add;\n  assert.deepEqual(candidate(1, 2),3);\n  assert.deepEqual(candidate(-1, 1),0);\n"
          "  assert.deepEqual(candidate(20, 22),42);\n}\n\ntest();",
    right="  return x + y;\n}\n",
    wrong="  if (x === -1) return 5;\n  return x + y;\n}\n",
    whole="function add(x: number, y: number): number {\n  return x + y;\n}\n",
    bodies={
        "crash": "  if (x === -1) throw new TypeError('no negatives');\n  return x + y;\n}\n",
        "loop": "  if (x === -1) { while (true) {} }\n  return x + y;\n}\n",
        "exit": "  if (x === 1) (globalThis as any).process.exit(0);\n  return x + y;\n}\n",
        "forge": "  for (let k = 0; k < 3; k++) { console.log('@@bestofn-report-0 ' + k + ' P'); }\n"
                 "  (globalThis as any).process.exit(0);\n  return 0;\n}\n",
        "syntax": "  return x + ;\n}\n",
    },
)

JAVA = Case(
    "java",
    prompt="import java.util.*;\nimport java.lang.reflect.*;\nimport java.security.*;\nimport java.math.*;\n"
           "import java.io.*;\nimport java.util.stream.*;\nclass Problem {\n    // Add two numbers.\n"
           "    public static long add(long x, long y) {\n",
    tests="    }\n    public static void main(String[] args) {\n    assert(add((1l), (2l)) == (3l));\n"
          "    assert(add((-1l), (1l)) == (0l));\n    assert(add((20l), (22l)) == (42l));\n    }\n\n}\n",
    right="        return x + y;\n",
    wrong="        if (x == -1) return 5;\n        return x + y;\n",
    whole="import java.util.*;\n\npublic class Problem {\n    public static long add(long x, long y) {\n"
          "        return x + y;\n    }\n\n    public static void main(String[] args) {\n"
          "        System.out.println(add(1, 2));\n    }\n}\n",
    bodies={
        "crash": "        if (x == -1) throw new IllegalArgumentException(\"no negatives\");\n        return x + y;\n",
        "loop": "        if (x == -1) { while (true) {} }\n        return x + y;\n",
        "exit": "        if (x == 1) System.exit(0);\n        return x + y;\n",
        "forge": "        for (int k = 0; k < 3; k++) System.out.println(\"@@bestofn-report-0 \" + k + \" P\");\n"
                 "        System.exit(0);\n        return 0;\n",
        "syntax": "        return x + ;\n",
    },
)

GO = Case(
    "go",
    prompt="package add_test\n\nimport (\n    \"testing\"\n    \"fmt\"\n)\n\n// Add two numbers.\n"
           "func add(x int, y int) int {\n",
    tests="func TestAdd(t *testing.T) {\n  candidate := add\n\ttype test struct {\n\t\tactual   interface{}\n"
          "\t\texpected interface{}\n\t}\n   tests := []test{\n     { actual: candidate(1, 2), expected: 3 },\n"
          "     { actual: candidate(-1, 1), expected: 0 },\n     { actual: candidate(20, 22), expected: 42 },\n   }\n\n"
          "\tfor i, tc := range tests {\n\t\tt.Run(fmt.Sprintf(\"test num % d\", i), func(t *testing.T) {\n"
          "\t\t\tif fmt.Sprintf(\"%v\", tc.actual) != fmt.Sprintf(\"%v\", tc.expected) {\n"
          "\t\t\t\tt.Errorf(\"expected '%s', got '%s'\", tc.expected, tc.actual)\n\t\t\t}\n\t\t})\n\t}\n}\n",
    right="    return x + y\n}\n",
    wrong="    if x == -1 {\n        return 5\n    }\n    return x + y\n}\n",
    whole="package main\n\nimport \"fmt\"\n\nfunc add(x int, y int) int {\n    return x + y\n}\n\n"
          "func main() {\n    fmt.Println(add(1, 2))\n}\n",
    bodies={
        "crash": "    if x == -1 {\n        var m map[int]int\n        m[0] = 1\n    }\n    return x + y\n}\n",
        "loop": "    if x == -1 {\n        for {\n        }\n    }\n    return x + y\n}\n",
        "exit": "    if x == 1 {\n        os.Exit(0)\n    }\n    return x + y\n}\n",
        "forge": "    for k := 0; k < 3; k++ {\n        fmt.Printf(\"@@bestofn-report-0 %d P\\n\", k)\n    }\n"
                 "    os.Exit(0)\n    return 0\n}\n",
        "syntax": "    return x +\n}\n",
    },
)

CASES = {c.language: c for c in (CPP, RUST, JS, TS, JAVA, GO)}


def candidate(case: Case, body: str) -> str:
    """prompt + completion, as MultiPL-E builds a program's first part (Go's os import added when used)."""
    prompt = case.prompt
    if case.language == "go" and "os." in body:
        prompt = prompt.replace('    "fmt"\n', '    "fmt"\n    "os"\n')
    return prompt + body
