// A throw-away GnuPG home (and working directory for sq) for interop tests: keys made by the
// real tools, exported, and messages decrypted by them. Test support only.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "testing/run_tool.h"
#include "testing/temp_dir.h"

namespace sealpost::pgp::testing {

using testutil::RunTool;
using testutil::ToolResult;

class GnuPg final {
 public:
  GnuPg() {
    home_ = dir_.path() + "/gnupg";
    ::mkdir(home_.c_str(), 0700);
  }
  const std::string& dir() const { return dir_.path(); }
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  // gpg in batch mode with no passphrases; extra arguments after the fixed ones.
  ToolResult Gpg(std::vector<std::string> args, std::string_view input = {}) const {
    std::vector<std::string> argv = {"gpg",      "--batch",      "--no-tty", "--pinentry-mode",
                                     "loopback", "--passphrase", "",         "--trust-model",
                                     "always"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunTool(argv, dir_.path(), {{"GNUPGHOME", home_}, {"LC_ALL", "C"}}, input);
  }
  ToolResult Sq(std::vector<std::string> args, std::string_view input = {}) const {
    std::vector<std::string> argv = {"sq"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunTool(argv, dir_.path(), {{"HOME", dir_.path()}, {"LC_ALL", "C"}}, input);
  }

  // Makes a key with gpg --quick-gen-key (and --quick-add-key for `subkey_algo`, if not empty)
  // and returns its primary fingerprint; fails the test when gpg does.
  std::string MakeKey(const std::string& uid, const std::string& algo, const std::string& usage,
                      const std::string& subkey_algo = "", const std::string& expire = "never",
                      std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = extra;
    args.insert(args.end(), {"--quick-gen-key", uid, algo, usage, expire});
    const ToolResult made = Gpg(args);
    EXPECT_EQ(made.exit_code, 0) << made.err;
    const std::string fpr = Fingerprint(uid);
    if (!subkey_algo.empty()) {
      std::vector<std::string> add = extra;
      add.insert(add.end(), {"--quick-add-key", fpr, subkey_algo, "encr", expire});
      const ToolResult added = Gpg(add);
      EXPECT_EQ(added.exit_code, 0) << added.err;
    }
    return fpr;
  }

  // The fingerprint of the first primary key that matches `who` (from --with-colons).
  std::string Fingerprint(const std::string& who) const {
    const ToolResult listed = Gpg({"--with-colons", "--list-keys", who});
    const std::string& out = listed.out;
    const size_t fpr = out.find("\nfpr:");
    if (fpr == std::string::npos) return "";
    const size_t start = out.find_first_not_of(':', fpr + 5);
    return out.substr(start, out.find(':', start) - start);
  }

  std::string Export(const std::string& who, bool armor = true) const {
    std::vector<std::string> args;
    if (armor) args.push_back("--armor");
    args.insert(args.end(), {"--export", who});
    const ToolResult exported = Gpg(args);
    EXPECT_EQ(exported.exit_code, 0) << exported.err;
    return exported.out;
  }

 private:
  sealpost::testutil::TempDir dir_;
  std::string home_;
};

}  // namespace sealpost::pgp::testing
