"""Risky code by tree-sitter queries (issue 15): each rule in each language on real-looking code, with
the safe forms beside them (parameterised SQL, `shell=False`, `yaml.load` with a safe loader) not found."""

from __future__ import annotations

from contexten.analysis.security.risky import scan_source

SAMPLES = {
    "a.py": b"""import os, pickle, yaml, ssl, requests
eval(x)
os.system("ls " + x)
subprocess.run(cmd, shell=True)
subprocess.run(cmd, shell=False)
cur.execute(f"SELECT * FROM t WHERE id = {x}")
cur.execute("SELECT * FROM t WHERE a = %s" % x)
cur.execute("SELECT * FROM t WHERE a = {}".format(x))
cur.execute("SELECT * FROM t WHERE a = %s", (x,))
log.execute(f"hello {x}")
pickle.loads(data)
yaml.load(text)
yaml.load(text, Loader=yaml.SafeLoader)
requests.get(url, verify=False)
ctx = ssl._create_unverified_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
""",
    "b.js": b"""eval(code);
const f = new Function("a", body);
child_process.exec("ls " + dir);
db.query(`SELECT * FROM users WHERE id = ${id}`);
db.query("SELECT * FROM users WHERE id = " + id);
db.query("SELECT * FROM users WHERE id = ?", [id]);
https.request({ rejectUnauthorized: false });
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
""",
    "c.go": b"""package main
func f() {
  exec.Command("sh", "-c", cmd)
  exec.Command("ls", dir)
  db.Query(fmt.Sprintf("SELECT * FROM t WHERE id = %s", id))
  db.Query("SELECT * FROM t WHERE id = " + id)
  db.Query("SELECT * FROM t WHERE id = ?", id)
  _ = &tls.Config{InsecureSkipVerify: true}
}
""",
    "d.rs": b"""fn f() {
  Command::new("sh").arg("-c").arg(cmd);
  sqlx::query(&format!("SELECT * FROM t WHERE id = {}", id));
  let c = reqwest::Client::builder().danger_accept_invalid_certs(true);
}
""",
    "E.java": b"""class E { void f() throws Exception {
  Runtime.getRuntime().exec(cmd);
  ObjectInputStream in = new ObjectInputStream(s);
  stmt.executeQuery("SELECT * FROM t WHERE id = " + id);
  stmt.executeQuery("SELECT 1");
  x.setHostnameVerifier(SSLSocketFactory.ALLOW_ALL_HOSTNAME_VERIFIER);
}}
""",
}

EXPECTED = {
    "a.py": [(2, "eval-exec"), (3, "shell-command"), (4, "shell-command"), (6, "sql-string-formatting"),
             (7, "sql-string-formatting"), (8, "sql-string-formatting"), (11, "unsafe-deserialization"),
             (12, "unsafe-deserialization"), (14, "tls-verification-disabled"), (15, "tls-verification-disabled"),
             (16, "tls-verification-disabled"), (17, "tls-verification-disabled")],
    "b.js": [(1, "eval-exec"), (2, "eval-exec"), (3, "shell-command"), (4, "sql-string-formatting"),
             (5, "sql-string-formatting"), (7, "tls-verification-disabled"), (8, "tls-verification-disabled")],
    "c.go": [(3, "shell-command"), (5, "sql-string-formatting"), (6, "sql-string-formatting"),
             (8, "tls-verification-disabled")],
    "d.rs": [(2, "shell-command"), (3, "sql-string-formatting"), (4, "tls-verification-disabled")],
    "E.java": [(2, "shell-command"), (3, "unsafe-deserialization"), (4, "sql-string-formatting"),
               (6, "tls-verification-disabled")],
}  # fmt: skip


def test_every_rule_in_every_language_and_nothing_safe() -> None:
    for path, source in SAMPLES.items():
        assert [(f.line, f.rule) for f in scan_source(path, source)] == EXPECTED[path], path


def test_the_same_code_in_typescript_and_a_file_of_no_language() -> None:
    assert [f.rule for f in scan_source("b.ts", SAMPLES["b.js"])] == [r for _, r in EXPECTED["b.js"]]
    assert scan_source("notes.txt", b"eval(x)") == []


def test_a_finding_names_its_severity_and_a_short_snippet() -> None:
    (finding,) = scan_source("x.py", b"import pickle\nobj = pickle.loads(" + b"a" * 500 + b")\n")
    assert finding.severity == "high" and finding.title == "untrusted data deserialised into objects"
    assert finding.snippet.startswith("pickle.loads(aaa") and len(finding.snippet) == 120
