// Runs an external tool (openssl, gpg, sq…) in a directory, as an independent check in tests:
// RunTool(dir, {"openssl", "verify", …}) returns the exit status and what the tool wrote to
// stdout and stderr together. No shell: the arguments are passed as they are. Test support only.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sealpost::testutil {

struct ToolResult {
  int exit_code = -1;  // -1 when the tool could not run or was killed by a signal
  std::string output;  // stdout and stderr, interleaved
};

inline ToolResult RunTool(const std::string& dir, const std::vector<std::string>& argv) {
  ToolResult result;
  if (argv.empty()) return result;
  const std::string out_path = dir + "/.tool-output";
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return result;
  if (pid == 0) {
    const int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int null_in = open("/dev/null", O_RDONLY);
    if (fd < 0 || null_in < 0 || chdir(dir.c_str()) != 0) _exit(127);
    dup2(null_in, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  std::ifstream in(out_path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  result.output = text.str();
  return result;
}

// Writes `bytes` to dir/name (binary) and returns the path.
inline std::string WriteTestFile(const std::string& dir, const std::string& name,
                                 const std::string& bytes) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace sealpost::testutil
