// Runs an external program (openssl, gpg, sq…) from a test, in a given directory, and returns its
// exit status and combined output: independent tools as the check of what Sealpost writes.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

namespace sealpost::testutil {

struct CommandResult {
  int exit_code = -1;  // -1 when the program could not be run or was killed
  std::string output;  // stdout and stderr together
};

// Quotes one argument for /bin/sh.
inline std::string ShellQuote(const std::string& arg) {
  std::string out = "'";
  for (const char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs `argv` (argv[0] looked up in PATH) in directory `cwd`, stdin from /dev/null.
inline CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& cwd) {
  std::string command = "cd " + ShellQuote(cwd) + " &&";
  for (const std::string& arg : argv) command += " " + ShellQuote(arg);
  command += " </dev/null 2>&1";
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace sealpost::testutil
