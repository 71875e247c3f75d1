"""One small io problem (read two integers, print their sum) written in every language, right and wrong.

Each language has: ``add`` (correct), ``add_again`` (correct, written differently: the same
behaviour for self-consistency), ``wrong`` (prints the product), ``crash`` (a real runtime
failure, with the exit code it gives), ``loop`` (never ends), ``broken`` (does not compile;
for TypeScript a type error, for JavaScript and Python a syntax error) with a piece of the
compiler's message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bestofn.schemas import TestSuite as Suite

IO_TESTS = Suite(format="io", code=json.dumps([
    {"input": "1 2\n", "output": "3\n"},
    {"input": "20 22\n", "output": "42"},
    {"input": "-5 5\n", "output": "0\n"},
]))


@dataclass(frozen=True)
class Programs:
    add: str
    add_again: str
    wrong: str
    crash: str
    crash_exit: int
    loop: str
    broken: str
    compile_message: str  # a piece of the compiler's message for ``broken``


JS_READ = "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\n"


def sum_and_product(template: str) -> dict[str, str]:
    """``add`` (right: the sum) and ``wrong`` (the product) from one program with ``{op}`` for the operator."""
    return {"add": template.replace("{op}", "+"), "wrong": template.replace("{op}", "*")}


PROGRAMS: dict[str, Programs] = {
    "python": Programs(
        **sum_and_product("a, b = map(int, input().split())\nprint(a {op} b)\n"),
        add_again="import sys\nx, y = (int(t) for t in sys.stdin.read().split())\nsys.stdout.write(f'{y + x}\\n')\n",
        crash="a, b = map(int, input().split())\nprint(a // 0)\n", crash_exit=1,
        loop="while True:\n    pass\n",
        broken="def main(:\n    pass\n", compile_message="SyntaxError",
    ),
    "javascript": Programs(
        **sum_and_product(JS_READ + "console.log(a {op} b);\n"),
        add_again="const t = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean);\n"
                  "process.stdout.write(String(Number(t[1]) + Number(t[0])) + '\\n');\n",
        crash=JS_READ + "null.boom();\n", crash_exit=1,
        loop="while (true) {}\n",
        broken="function main( {\n", compile_message="SyntaxError",
    ),
    "typescript": Programs(
        **sum_and_product("import * as fs from 'fs';\nconst [a, b]: number[] = fs.readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\n"
                          "console.log(a {op} b);\n"),
        add_again="const fs = require('fs');\nconst t: string[] = fs.readFileSync(0, 'utf8').split(/\\s+/).filter((s: string) => s);\n"
                  "process.stdout.write(`${Number(t[1]) + Number(t[0])}\\n`);\n",
        crash="import * as fs from 'fs';\nfs.readFileSync(0, 'utf8');\nthrow new Error('boom');\n", crash_exit=1,
        loop="while (true) {}\n",
        broken="const x: number = 'not a number';\nconsole.log(x);\n", compile_message="TS2322",
    ),
    "go": Programs(
        **sum_and_product('package main\n\nimport "fmt"\n\nfunc main() {\n\tvar a, b int\n\tfmt.Scan(&a, &b)\n\tfmt.Println(a {op} b)\n}\n'),
        add_again='package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n\tr := bufio.NewReader(os.Stdin)\n'
                  '\tvar x, y int\n\tfmt.Fscan(r, &x, &y)\n\tfmt.Printf("%d\\n", y+x)\n}\n',
        crash='package main\n\nfunc main() {\n\tvar m map[string]int\n\tm["x"] = 1\n}\n', crash_exit=2,
        loop="package main\n\nfunc main() {\n\tfor {\n\t}\n}\n",
        broken="package main\n\nfunc main() {\n\tx := \n}\n", compile_message="syntax error",
    ),
    "rust": Programs(
        **sum_and_product("use std::io::Read;\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n"
                          "    let v: Vec<i64> = s.split_whitespace().map(|t| t.parse().unwrap()).collect();\n    println!(\"{}\", v[0] {op} v[1]);\n}\n"),
        add_again="fn main() {\n    let mut line = String::new();\n    std::io::stdin().read_line(&mut line).unwrap();\n"
                  "    let mut it = line.split_whitespace().map(|t| t.parse::<i64>().unwrap());\n"
                  "    let (x, y) = (it.next().unwrap(), it.next().unwrap());\n    println!(\"{}\", y + x);\n}\n",
        crash="fn main() {\n    let v: Vec<i64> = Vec::new();\n    let i = std::env::args().count() + 5;\n    println!(\"{}\", v[i]);\n}\n",
        crash_exit=101,
        loop="fn main() {\n    loop {}\n}\n",
        broken="fn main() {\n    let x: i32 = \"text\";\n}\n", compile_message="mismatched types",
    ),
    "cpp": Programs(
        **sum_and_product("#include <iostream>\nint main() {\n    long long a, b;\n    std::cin >> a >> b;\n    std::cout << a {op} b << std::endl;\n}\n"),
        add_again="#include <cstdio>\nint main() {\n    long long x, y;\n    if (scanf(\"%lld %lld\", &x, &y) != 2) return 1;\n"
                  "    printf(\"%lld\\n\", y + x);\n    return 0;\n}\n",
        crash="#include <cstdlib>\nint main() {\n    std::abort();\n}\n", crash_exit=134,
        loop="int main() {\n    volatile unsigned long n = 0;\n    while (true) n++;\n}\n",
        broken="int main( {\n    return 0;\n}\n", compile_message="error",
    ),
    "java": Programs(
        **sum_and_product("import java.util.Scanner;\n\npublic class Main {\n    public static void main(String[] args) {\n"
                          "        Scanner in = new Scanner(System.in);\n        long a = in.nextLong(), b = in.nextLong();\n"
                          "        System.out.println(a {op} b);\n    }\n}\n"),
        add_again="import java.io.*;\n\npublic class Main {\n    public static void main(String[] args) throws IOException {\n"
                  "        String[] t = new BufferedReader(new InputStreamReader(System.in)).readLine().trim().split(\"\\\\s+\");\n"
                  "        System.out.print((Long.parseLong(t[1]) + Long.parseLong(t[0])) + \"\\n\");\n    }\n}\n",
        crash="public class Main {\n    public static void main(String[] args) {\n        Object o = null;\n"
              "        System.out.println(o.hashCode());\n    }\n}\n", crash_exit=1,
        loop="public class Main {\n    public static void main(String[] args) {\n        while (true) {}\n    }\n}\n",
        broken="public class Main {\n    public static void main(String[] args) {\n        int x = \"text\";\n    }\n}\n",
        compile_message="incompatible types",
    ),
}
