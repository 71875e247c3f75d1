"""The escape suite's attacks as stdin/stdout programs in JavaScript, Go and C++.

Each prints ``blocked`` when the attack failed and ``ESCAPED`` when it got through, except
the fork counters (print how many processes they got), the memory hogs and the output flood.
``{port}`` is a listening port on the host's loopback.
"""

from __future__ import annotations

ESCAPES: dict[str, dict[str, str]] = {
    "javascript": {
        "network": """
const net = require('net');
const targets = [['1.1.1.1', 53], ['127.0.0.1', {port}]];
let left = targets.length, escaped = false;
for (const [host, port] of targets) {
  const s = net.connect({host, port});
  s.on('connect', () => { escaped = true; s.destroy(); done(); });
  s.on('error', () => done());
}
function done() { if (--left === 0) { console.log(escaped ? 'ESCAPED' : 'blocked'); process.exit(0); } }
setTimeout(() => { console.log(escaped ? 'ESCAPED' : 'blocked'); process.exit(0); }, 2000);
""",
        "fork": """
const cp = require('child_process');
let ok = 0;
for (let i = 0; i < 300; i++) {
  try { const c = cp.spawn('sleep', ['60'], {stdio: 'ignore'}); c.on('spawn', () => ok++); c.on('error', () => {}); }
  catch (e) {}
}
setTimeout(() => { console.log(ok); process.exit(0); }, 1500);
""",
        "memory": """
const keep = [];
for (let i = 0; i < 64; i++) { keep.push(new Array(1 << 20).fill(i + 0.5)); }
console.log(keep.length);
""",
        "disk": """
const fs = require('fs');
const block = Buffer.alloc(1 << 20, 120);
try { const fd = fs.openSync('/work/big', 'w'); for (let i = 0; i < 256; i++) fs.writeSync(fd, block); console.log('ESCAPED'); }
catch (e) { console.log('blocked'); }
""",
        "flood": """
const block = 'y'.repeat(1 << 20);
for (let i = 0; i < 200; i++) process.stdout.write(block);
""",
        "outside": """
const fs = require('fs');
let escaped = false;
for (const path of ['/etc/pwned', '/opt/bestofn/runner.py', '/usr/bin/pwned', '/proc/sys/kernel/hostname']) {
  try { fs.appendFileSync(path, 'x'); escaped = true; } catch (e) {}
}
console.log(escaped ? 'ESCAPED' : 'blocked');
""",
    },
    "go": {
        "network": """package main

import (
\t"fmt"
\t"net"
\t"time"
)

func main() {
\tfor _, addr := range []string{"1.1.1.1:53", "127.0.0.1:{port}"} {
\t\tif c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
\t\t\tc.Close()
\t\t\tfmt.Println("ESCAPED")
\t\t\treturn
\t\t}
\t}
\tfmt.Println("blocked")
}
""",
        "fork": """package main

import (
\t"fmt"
\t"os/exec"
)

func main() {
\tn := 0
\tfor n < 1000 {
\t\tif err := exec.Command("sleep", "60").Start(); err != nil {
\t\t\tbreak
\t\t}
\t\tn++
\t}
\tfmt.Println(n)
}
""",
        "memory": """package main

import "fmt"

func main() {
\tb := make([]byte, 600<<20)
\tfor i := range b {
\t\tb[i] = byte(i)
\t}
\tfmt.Println(b[len(b)-1])
}
""",
        "disk": """package main

import (
\t"fmt"
\t"os"
)

func main() {
\tf, err := os.Create("/work/big")
\tif err != nil {
\t\tfmt.Println("blocked")
\t\treturn
\t}
\tblock := make([]byte, 1<<20)
\tfor i := 0; i < 256; i++ {
\t\tif _, err := f.Write(block); err != nil {
\t\t\tfmt.Println("blocked")
\t\t\treturn
\t\t}
\t}
\tfmt.Println("ESCAPED")
}
""",
        "flood": """package main

import (
\t"os"
\t"strings"
)

func main() {
\tblock := []byte(strings.Repeat("y", 1<<20))
\tfor i := 0; i < 200; i++ {
\t\tos.Stdout.Write(block)
\t}
}
""",
        "outside": """package main

import (
\t"fmt"
\t"os"
)

func main() {
\tfor _, p := range []string{"/etc/pwned", "/opt/bestofn/runner.py", "/usr/bin/pwned", "/proc/sys/kernel/hostname"} {
\t\tif f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
\t\t\tif _, err := f.Write([]byte("x")); err == nil {
\t\t\t\tfmt.Println("ESCAPED")
\t\t\t\treturn
\t\t\t}
\t\t}
\t}
\tfmt.Println("blocked")
}
""",
    },
    "cpp": {
        "network": """#include <arpa/inet.h>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

int main() {
    const char* hosts[] = {"1.1.1.1", "127.0.0.1"};
    int ports[] = {53, {port}};
    for (int i = 0; i < 2; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0) continue;
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(ports[i]);
        inet_pton(AF_INET, hosts[i], &a.sin_addr);
        if (connect(s, (sockaddr*)&a, sizeof a) == 0) { puts("ESCAPED"); return 0; }
        close(s);
    }
    puts("blocked");
}
""",
        "fork": """#include <cstdio>
#include <unistd.h>

int main() {
    int n = 0;
    while (n < 1000) {
        pid_t p = fork();
        if (p < 0) break;
        if (p == 0) { sleep(60); _exit(0); }
        n++;
    }
    printf("%d\\n", n);
}
""",
        "memory": """#include <cstdio>
#include <cstring>
#include <new>

int main() {
    size_t size = 600ull << 20;
    char* volatile p = new char[size];  // volatile: the allocation cannot be optimised away
    memset(p, 7, size);
    printf("%d\\n", p[size - 1]);
}
""",
        "disk": """#include <cstdio>
#include <vector>

int main() {
    FILE* f = fopen("/work/big", "wb");
    if (!f) { puts("blocked"); return 0; }
    std::vector<char> block(1 << 20, 'x');
    for (int i = 0; i < 256; i++) {
        if (fwrite(block.data(), 1, block.size(), f) != block.size() || fflush(f) != 0) { puts("blocked"); return 0; }
    }
    puts("ESCAPED");
}
""",
        "flood": """#include <cstdio>
#include <string>

int main() {
    std::string block(1 << 20, 'y');
    for (int i = 0; i < 200; i++) fwrite(block.data(), 1, block.size(), stdout);
}
""",
        "outside": """#include <cstdio>

int main() {
    const char* paths[] = {"/etc/pwned", "/opt/bestofn/runner.py", "/usr/bin/pwned", "/proc/sys/kernel/hostname"};
    for (const char* p : paths) {
        FILE* f = fopen(p, "a");
        if (f && fputs("x", f) >= 0 && fflush(f) == 0) { puts("ESCAPED"); return 0; }
    }
    puts("blocked");
}
""",
    },
}
