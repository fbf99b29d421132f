// RAII over the GMime 3 and GLib objects that src/mime/ uses (STYLE.md, convention 9): every
// handle is owned by a unique_ptr whose deleter is the library's own release function, so no
// path out of a function (error returns included) leaks one.
//
// Thread-safety: GMime objects are not thread-safe; a handle is owned and used by one thread
// (every function of src/mime/ builds its own objects and shares none).
#pragma once

#include <gmime/gmime.h>

#include <memory>

namespace sealpost::mime::internal {

struct GObjectUnref {
  void operator()(void* object) const {
    if (object != nullptr) g_object_unref(object);
  }
};
// Any GObject: GMimeMessage, GMimePart, GMimeMultipart, GMimeStream, GMimeParser,
// GMimeDataWrapper, GMimeContentType, InternetAddressList…
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

struct GFree {
  void operator()(void* p) const { g_free(p); }
};
// A string GLib or GMime allocated with g_malloc (g_mime_text_part_get_text…).
using GCharPtr = std::unique_ptr<char, GFree>;

struct GDateTimeUnref {
  void operator()(GDateTime* t) const {
    if (t != nullptr) g_date_time_unref(t);
  }
};
using GDateTimePtr = std::unique_ptr<GDateTime, GDateTimeUnref>;

struct FormatOptionsFree {
  void operator()(GMimeFormatOptions* o) const {
    if (o != nullptr) g_mime_format_options_free(o);
  }
};
using FormatOptionsPtr = std::unique_ptr<GMimeFormatOptions, FormatOptionsFree>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* o) const {
    if (o != nullptr) g_mime_parser_options_free(o);
  }
};
using ParserOptionsPtr = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;

struct ReferencesFree {
  void operator()(GMimeReferences* r) const {
    if (r != nullptr) g_mime_references_free(r);
  }
};
using ReferencesPtr = std::unique_ptr<GMimeReferences, ReferencesFree>;

// Takes ownership of a new reference (the result of a *_new function).
template <typename T>
GObjectPtr<T> Own(T* object) {
  return GObjectPtr<T>(object);
}

}  // namespace sealpost::mime::internal
