#!/usr/bin/env python3
"""Self-test of check_layering.py: each rule fires on a small tree that breaks it, stays quiet on
the look-alikes that are not violations, and the real src/ passes. Standard library only."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import check_layering  # noqa: E402

CHECKER = HERE / "check_layering.py"
REAL_SRC = HERE.parents[1] / "src"


class FakeTree:
    """A throw-away src/ with the given files (path relative to src/ -> contents)."""

    def __init__(self, files: dict[str, str]) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="layering-")
        self.src = Path(self._dir.name) / "src"
        self.src.mkdir()
        for rel, text in files.items():
            path = self.src / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def findings(self) -> list[str]:
        return [str(f) for f in check_layering.check_tree(self.src)]

    def close(self) -> None:
        self._dir.cleanup()


class CheckLayeringTest(unittest.TestCase):
    def check(self, files: dict[str, str]) -> list[str]:
        tree = FakeTree(files)
        self.addCleanup(tree.close)
        return tree.findings()

    def assertOnly(self, findings: list[str], *expected: str) -> None:
        """Each expected prefix ("src/x.cpp:3: [rule]") matches exactly one finding, no extras."""
        self.assertEqual(len(findings), len(expected), "\n".join(findings))
        for prefix in expected:
            self.assertTrue(any(f.startswith(prefix) for f in findings),
                            f"no finding starts with {prefix!r}:\n" + "\n".join(findings))

    # --- the real tree -------------------------------------------------------------------

    def test_real_tree_passes(self) -> None:
        findings = [str(f) for f in check_layering.check_tree(REAL_SRC)]
        self.assertEqual(findings, [], "\n".join(findings))

    def test_every_real_folder_is_in_the_table(self) -> None:
        known = set(check_layering.LAYER_OF) | {check_layering.TEST_SUPPORT}
        for entry in REAL_SRC.iterdir():
            if entry.is_dir():
                self.assertIn(entry.name, known)

    def test_table_lists_the_planned_folders(self) -> None:
        for folder in ("mime", "pgp", "smime", "trust", "receipts", "smtp"):
            self.assertIn(folder, check_layering.LAYER_OF)
        order = check_layering.LAYER_OF
        self.assertLess(order["core"], order["crypto"])
        self.assertLess(order["crypto"], order["store"])
        self.assertLess(order["store"], order["delivery"])
        self.assertLess(order["delivery"], order["app"])
        self.assertLess(order["app"], order["smtp"])
        self.assertLess(order["smtp"], order["cmd"])

    # --- rule 1: layers ------------------------------------------------------------------

    def test_include_up_the_layers_fails(self) -> None:
        findings = self.check({
            "core/a.cpp": """
                #include "core/a.h"
                #include <string>
                #include "app/mailbox.h"
            """,
            "crypto/b.h": '#include <store/store.h>\n',
        })
        self.assertOnly(findings, "src/core/a.cpp:3: [layer]", "src/crypto/b.h:1: [layer]")
        self.assertIn("higher layer", findings[0] + findings[1])

    def test_include_down_the_layers_passes(self) -> None:
        self.assertEqual(self.check({
            "app/a.cpp": '#include "store/store.h"\n#include "core/status.h"\n',
            "api/b.cpp": '#include "app/mailbox.h"\n#include "blob/blob_store.h"\n',
            "cmd/c.cpp": '#include "api/api.h"\n',
        }), [])

    def test_sideways_include_fails_unless_listed(self) -> None:
        findings = self.check({
            "blob/a.cpp": '#include "store/store.h"\n',   # store -> blob is listed, not this
            "http/b.cpp": '#include "api/api.h"\n',       # api -> http is listed, not this
            "core/c.h": '#include "platform/clock.h"\n',  # core stays below everything
            "store/d.cpp": '#include "blob/raw_blob_store.h"\n',
            "api/e.cpp": '#include "http/router.h"\n',
            "platform/f.h": '#include "core/status.h"\n',
        })
        self.assertOnly(findings, "src/blob/a.cpp:1: [layer]", "src/http/b.cpp:1: [layer]",
                        "src/core/c.h:1: [layer]")

    def test_includes_in_comments_do_not_count(self) -> None:
        self.assertEqual(self.check({
            "core/a.cpp": """
                // #include "app/mailbox.h"
                /* #include "cmd/serve.h"
                   #include "http/server.h" */
            """,
        }), [])

    # --- rule 2: front ends --------------------------------------------------------------

    def test_front_end_including_store_fails(self) -> None:
        findings = self.check({
            "api/a.cpp": '#include "app/mailbox.h"\n#include "store/records.h"\n',
            "http/b.h": '#include "store/store.h"\n',
            "smtp/server/c.cpp": '#include "store/sqlite/sqlite_store.h"\n',
            "cmd/serve.cpp": '#include "store/store.h"\n',
        })
        self.assertOnly(findings, "src/api/a.cpp:2: [front-end]", "src/http/b.h:1: [front-end]",
                        "src/smtp/server/c.cpp:1: [front-end]",
                        "src/cmd/serve.cpp:1: [front-end]")

    def test_composition_root_may_open_the_store(self) -> None:
        self.assertEqual(self.check({
            "cmd/open_store.h": '#include "store/store.h"\n',
            "cmd/open_store.cpp": '#include "store/sqlite/sqlite_store.h"\n',
            "cmd/admin_migrate.cpp": '#include "store/migrate.h"\n',
            "app/services.h": '#include "store/store.h"\n',
        }), [])

    # --- rule 3: SQL ---------------------------------------------------------------------

    def test_sql_outside_store_fails(self) -> None:
        findings = self.check({
            "app/a.cpp": """
                void F() {
                  Run("SELECT id, email FROM users WHERE id = ?");
                  Run("UPDATE users "
                      "SET state = 1");
                  Run(R"sql(
                    DELETE FROM sessions
                  )sql");
                  Run("BEGIN IMMEDIATE");
                  Run("PRAGMA journal_mode=WAL");
                }
            """,
            "http/b.cpp": 'const char* k = "INSERT INTO uploads(id) VALUES ($1)";\n',
            "cmd/c.cpp": 'auto q = std::string("SELECT ") + kColumns + " FROM users";\n',
            "delivery/d.h": 'inline constexpr char kDdl[] = "CREATE TABLE IF NOT EXISTS x (a)";\n',
        })
        self.assertOnly(findings, "src/app/a.cpp:2: [sql]", "src/app/a.cpp:3: [sql]",
                        "src/app/a.cpp:5: [sql]", "src/app/a.cpp:8: [sql]",
                        "src/app/a.cpp:9: [sql]", "src/http/b.cpp:1: [sql]",
                        "src/cmd/c.cpp:1: [sql]", "src/delivery/d.h:1: [sql]")

    def test_sql_look_alikes_pass(self) -> None:
        self.assertEqual(self.check({
            "api/a.cpp": """
                router.Add("DELETE", "/api/v1/session", Handler());
                std::string allow = "DELETE, GET, HEAD";
                // SELECT id FROM users: a comment is not a query
                /* UPDATE users SET x = 1 */
                const char* pem = "-----BEGIN PRIVATE KEY-----";
                const char* ui = "Select a file, then update the settings";
                const char c = '"'; const long n = 1'000'000;
                const char* after = "plain text";
            """,
        }), [])

    def test_sql_is_allowed_in_store_and_in_unit_tests(self) -> None:
        self.assertEqual(self.check({
            "store/sqlite/a.cpp": 'Exec("UPDATE users SET state = 1");\n',
            "audit/audit_log_test.cpp": 'Sql("DELETE FROM audit_log WHERE seq = 4");\n',
        }), [])

    # --- internal/, testing/, the table ----------------------------------------------------

    def test_internal_is_private_to_its_folder(self) -> None:
        findings = self.check({
            "app/a.cpp": '#include "crypto/internal/check.h"\n',
            "crypto/b.cpp": '#include "crypto/internal/check.h"\n',
        })
        self.assertOnly(findings, "src/app/a.cpp:1: [internal]")

    def test_nested_internal_is_private_to_its_backend(self) -> None:
        findings = self.check({
            "store/sqlite/sqlite_store.cpp": '#include "store/sqlite/internal/rows.h"\n',
            "store/sqlite/internal/rows.cpp": '#include "store/sqlite/internal/rows.h"\n'
                                              '#include "store/internal/group_commit.h"\n',
            "store/postgres/p.cpp": '#include "store/sqlite/internal/rows.h"\n'
                                    '#include "store/internal/group_commit.h"\n',
            "store/migrate.cpp": '#include "store/postgres/internal/pool.h"\n',
        })
        self.assertOnly(findings, "src/store/postgres/p.cpp:1: [internal]",
                        "src/store/migrate.cpp:1: [internal]")

    def test_testing_is_for_tests_only(self) -> None:
        findings = self.check({
            "app/a.cpp": '#include "testing/status_matchers.h"\n',
            "app/a_test.cpp": '#include "testing/status_matchers.h"\n',
            "app/app_test_fixture.h": '#include "store/testing/test_database.h"\n',
            "cmd/b.cpp": '#include "store/testing/test_database.h"\n',
            "testing/c.h": '#include "core/status.h"\n#include "app/services.h"\n',
        })
        self.assertOnly(findings, "src/app/a.cpp:1: [testing]", "src/cmd/b.cpp:1: [testing]",
                        "src/cmd/b.cpp:1: [front-end]", "src/testing/c.h:2: [testing]")

    def test_unknown_folder_and_parent_includes_fail(self) -> None:
        findings = self.check({
            "frontdoor/a.cpp": '#include "app/mailbox.h"\n',
            "app/b.cpp": '#include "../store/store.h"\n',
        })
        self.assertIn("src/frontdoor:0: [table]", findings[0] + findings[-1])
        self.assertTrue(any(f.startswith("src/app/b.cpp:1: [table]") for f in findings),
                        findings)

    # --- the command line ----------------------------------------------------------------

    def test_command_line_reports_file_line_rule_and_exits_1(self) -> None:
        tree = FakeTree({"core/a.cpp": '// a.cpp\n#include "app/mailbox.h"\n'})
        self.addCleanup(tree.close)
        run = subprocess.run([sys.executable, str(CHECKER), str(tree.src)],
                             capture_output=True, text=True, check=False)
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertIn("src/core/a.cpp:2: [layer]", run.stdout)

    def test_command_line_passes_on_the_real_tree(self) -> None:
        run = subprocess.run([sys.executable, str(CHECKER), str(REAL_SRC)],
                             capture_output=True, text=True, check=False)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)


if __name__ == "__main__":
    unittest.main()
