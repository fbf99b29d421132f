#include "http/router.h"

#include <cstdio>
#include <cstdlib>
#include <set>

#include "http/problem.h"

namespace sealpost::http {
namespace {

[[noreturn]] void RouteError(std::string_view what, std::string_view pattern) {
  std::fprintf(stderr, "http::Router: %.*s: \"%.*s\"\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(pattern.size()), pattern.data());
  std::abort();
}

// "/a/b" → {"a", "b"}; "/" → {""}.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  for (;;) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void Router::Add(std::string_view method, std::string_view pattern, Handler h, RouteOptions opts) {
  opts.streaming_upload = false;
  Route route;
  route.method = std::string(method);
  route.pattern = std::string(pattern);
  route.handler = std::move(h);
  route.options = opts;
  AddRoute(std::move(route));
}

void Router::AddUpload(std::string_view method, std::string_view pattern, UploadBegin begin,
                       RouteOptions opts) {
  opts.streaming_upload = true;
  Route route;
  route.method = std::string(method);
  route.pattern = std::string(pattern);
  route.begin = std::move(begin);
  route.options = opts;
  AddRoute(std::move(route));
}

void Router::SetFallback(Handler h, std::vector<std::string> excluded_prefixes) {
  fallback_ = std::move(h);
  fallback_excluded_ = std::move(excluded_prefixes);
}

void Router::AddRoute(Route route) {
  if (route.method.empty()) RouteError("empty method", route.pattern);
  if (route.pattern.empty() || route.pattern.front() != '/') {
    RouteError("pattern must start with '/'", route.pattern);
  }
  if (!route.handler && !route.begin) RouteError("empty handler", route.pattern);
  std::set<std::string_view> names;
  for (const std::string_view part : SplitPath(route.pattern)) {
    Segment segment;
    if (!part.empty() && part.front() == '{') {
      if (part.size() < 3 || part.back() != '}') RouteError("malformed parameter", route.pattern);
      segment.is_param = true;
      segment.text = std::string(part.substr(1, part.size() - 2));
      if (!IsToken(segment.text)) RouteError("malformed parameter name", route.pattern);
      if (!names.insert(part).second) RouteError("duplicate parameter name", route.pattern);
    } else {
      if (part.find_first_of("{}") != std::string_view::npos) {
        RouteError("braces inside a literal segment", route.pattern);
      }
      segment.text = std::string(part);
    }
    route.segments.push_back(std::move(segment));
  }
  for (const Route& existing : routes_) {
    if (existing.method != route.method || existing.segments.size() != route.segments.size()) {
      continue;
    }
    bool same = true;
    for (size_t i = 0; i < route.segments.size() && same; ++i) {
      const Segment& a = existing.segments[i];
      const Segment& b = route.segments[i];
      same = a.is_param == b.is_param && (a.is_param || a.text == b.text);
    }
    if (same) RouteError("duplicate route", route.pattern);
  }
  routes_.push_back(std::move(route));
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  const std::vector<std::string_view> parts = SplitPath(path);
  // True when `a` is more specific than `b` (both fit the same path).
  const auto more_specific = [](const Route& a, const Route& b) {
    for (size_t i = 0; i < a.segments.size(); ++i) {
      if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
    }
    return false;
  };
  const Route* best = nullptr;
  const Route* best_get = nullptr;  // for HEAD without a HEAD route
  std::set<std::string> allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    bool fits = true;
    for (size_t i = 0; i < parts.size() && fits; ++i) {
      const Segment& segment = route.segments[i];
      fits = segment.is_param ? !parts[i].empty() : segment.text == parts[i];
    }
    if (!fits) continue;
    allowed.insert(route.method);
    if (route.method == "GET") allowed.insert("HEAD");
    if (route.method == method) {
      if (best == nullptr || more_specific(route, *best)) best = &route;
    } else if (method == "HEAD" && route.method == "GET") {
      if (best_get == nullptr || more_specific(route, *best_get)) best_get = &route;
    }
  }
  if (best == nullptr) best = best_get;

  Match match;
  if (best != nullptr) {
    for (size_t i = 0; i < parts.size(); ++i) {
      if (best->segments[i].is_param) {
        match.params.emplace(best->segments[i].text, std::string(parts[i]));
      }
    }
    match.options = best->options;
    match.route = static_cast<int>(best - routes_.data());
    if (best->begin) {
      match.kind = Match::Kind::kUpload;
      match.begin = &best->begin;
    } else {
      match.kind = Match::Kind::kHandler;
      match.handler = &best->handler;
    }
    return match;
  }
  if (!allowed.empty()) {
    match.kind = Match::Kind::kMethodNotAllowed;
    for (const std::string& m : allowed) {
      if (!match.allow.empty()) match.allow += ", ";
      match.allow += m;
    }
    return match;
  }
  if (fallback_ && (method == "GET" || method == "HEAD")) {
    bool excluded = false;
    for (const std::string& prefix : fallback_excluded_) {
      excluded = excluded || path.starts_with(prefix);
    }
    if (!excluded) {
      match.kind = Match::Kind::kHandler;
      match.handler = &fallback_;
      match.fallback = true;
      return match;
    }
  }
  match.kind = Match::Kind::kNotFound;
  return match;
}

Response Router::Handle(const Request& request) const {
  const Match match = Find(request.method, request.path);
  switch (match.kind) {
    case Match::Kind::kHandler:
      return (*match.handler)(request, match.params);
    case Match::Kind::kMethodNotAllowed:
      return MethodNotAllowedProblem(match.allow);
    case Match::Kind::kUpload:
      return ProblemFromStatus(Internal("upload route called through Router::Handle"));
    case Match::Kind::kNotFound:
      break;
  }
  return NotFoundProblem();
}

}  // namespace sealpost::http
