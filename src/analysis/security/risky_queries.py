"""The risky-code rules as tree-sitter queries, one string per language. A pattern reports the node
captured as `@rule.<id>`; one that also captures `@sql` counts only when that text reads as SQL (a
formatted string that is not a query is not an injection), and `@yaml.load` only without a safe loader."""

# ruff: noqa: E501  (queries are data: a pattern reads best on one line)

from __future__ import annotations

PYTHON = r"""
(call function: (identifier) @f (#any-of? @f "eval" "exec")) @rule.eval-exec
(call function: (attribute object: (identifier) @m attribute: (identifier) @f)
  (#eq? @m "os") (#any-of? @f "system" "popen")) @rule.shell-command
(keyword_argument name: (identifier) @k value: (true) (#eq? @k "shell")) @rule.shell-command
(call function: (attribute object: (identifier) @m attribute: (identifier) @f)
  (#any-of? @m "pickle" "cPickle" "dill" "marshal" "shelve") (#any-of? @f "load" "loads" "open")) @rule.unsafe-deserialization
(call function: (attribute object: (identifier) @m attribute: (identifier) @f)
  (#eq? @m "yaml") (#any-of? @f "unsafe_load" "full_load")) @rule.unsafe-deserialization
(call function: (attribute object: (identifier) @m attribute: (identifier) @f)
  (#eq? @m "yaml") (#any-of? @f "load" "load_all")) @yaml.load @rule.unsafe-deserialization
(call function: (attribute attribute: (identifier) @f)
  arguments: (argument_list . [(string (interpolation)) (binary_operator left: (string)) (binary_operator left: (binary_operator))
                               (call function: (attribute object: (string) attribute: (identifier) @fmt))] @sql)
  (#any-of? @f "execute" "executemany" "executescript" "raw" "text")) @rule.sql-string-formatting
(keyword_argument name: (identifier) @k value: (false) (#eq? @k "verify")) @rule.tls-verification-disabled
(call function: (attribute object: (identifier) @m attribute: (identifier) @f)
  (#eq? @m "ssl") (#eq? @f "_create_unverified_context")) @rule.tls-verification-disabled
(assignment left: (attribute attribute: (identifier) @a) right: (false) (#eq? @a "check_hostname")) @rule.tls-verification-disabled
(attribute object: (identifier) @m attribute: (identifier) @a (#eq? @m "ssl") (#eq? @a "CERT_NONE")) @rule.tls-verification-disabled
"""

JAVASCRIPT = r"""
(call_expression function: (identifier) @f (#eq? @f "eval")) @rule.eval-exec
(new_expression constructor: (identifier) @f (#eq? @f "Function")) @rule.eval-exec
(call_expression function: (member_expression object: (identifier) @m property: (property_identifier) @f)
  (#match? @m "^(child_process|cp|childProcess)$") (#any-of? @f "exec" "execSync")) @rule.shell-command
(pair key: (property_identifier) @k value: (true) (#eq? @k "shell")) @rule.shell-command
(call_expression function: (member_expression property: (property_identifier) @f)
  arguments: (arguments . [(template_string (template_substitution)) (binary_expression left: (string))
                           (binary_expression left: (binary_expression))] @sql)
  (#any-of? @f "query" "execute" "raw" "exec" "run" "all" "get")) @rule.sql-string-formatting
(pair key: (property_identifier) @k value: (false) (#eq? @k "rejectUnauthorized")) @rule.tls-verification-disabled
(assignment_expression left: (member_expression property: (property_identifier) @k)
  (#eq? @k "NODE_TLS_REJECT_UNAUTHORIZED")) @rule.tls-verification-disabled
"""

GO = r"""
(call_expression function: (selector_expression operand: (identifier) @m field: (field_identifier) @f)
  arguments: (argument_list . (interpreted_string_literal) @sh)
  (#eq? @m "exec") (#match? @f "^Command(Context)?$") (#match? @sh "^\"(sh|bash|zsh|/bin/sh|/bin/bash|cmd)\"$")) @rule.shell-command
(call_expression function: (selector_expression field: (field_identifier) @f)
  arguments: (argument_list . [(call_expression function: (selector_expression operand: (identifier) @p field: (field_identifier) @s))
                               (binary_expression left: (interpreted_string_literal))] @sql)
  (#match? @f "^(Query|QueryRow|Exec|QueryContext|QueryRowContext|ExecContext|Prepare)$")) @rule.sql-string-formatting
(keyed_element (literal_element (identifier) @k) (literal_element (true)) (#eq? @k "InsecureSkipVerify")) @rule.tls-verification-disabled
"""

RUST = r"""
(call_expression function: (scoped_identifier path: (identifier) @t name: (identifier) @n)
  arguments: (arguments . (string_literal) @sh)
  (#eq? @t "Command") (#eq? @n "new") (#match? @sh "^\"(sh|bash|zsh|/bin/sh|/bin/bash|cmd)\"$")) @rule.shell-command
(call_expression function: [(identifier) @f (field_expression field: (field_identifier) @f)
                            (scoped_identifier name: (identifier) @f)]
  arguments: (arguments . [(macro_invocation macro: (identifier) @fm) (reference_expression value: (macro_invocation macro: (identifier) @fm))] @sql)
  (#match? @f "^(query|query_as|execute|query_scalar|prepare)$") (#eq? @fm "format")) @rule.sql-string-formatting
(call_expression function: (field_expression field: (field_identifier) @f) arguments: (arguments (boolean_literal) @b)
  (#match? @f "^danger_accept_invalid_(certs|hostnames)$") (#eq? @b "true")) @rule.tls-verification-disabled
"""

JAVA = r"""
(method_invocation object: (method_invocation name: (identifier) @g) name: (identifier) @f
  (#eq? @g "getRuntime") (#eq? @f "exec")) @rule.shell-command
(object_creation_expression type: (type_identifier) @t (#eq? @t "ObjectInputStream")) @rule.unsafe-deserialization
(method_invocation name: (identifier) @f arguments: (argument_list . (binary_expression) @sql)
  (#match? @f "^(executeQuery|executeUpdate|execute|prepareStatement|addBatch|createQuery|createNativeQuery)$")) @rule.sql-string-formatting
(field_access field: (identifier) @f (#eq? @f "ALLOW_ALL_HOSTNAME_VERIFIER")) @rule.tls-verification-disabled
(object_creation_expression type: (type_identifier) @t (#eq? @t "NoopHostnameVerifier")) @rule.tls-verification-disabled
"""

BY_LANGUAGE = {"python": PYTHON, "javascript": JAVASCRIPT, "typescript": JAVASCRIPT, "tsx": JAVASCRIPT, "go": GO,
               "rust": RUST, "java": JAVA}  # fmt: skip
