// The one-time initialisation of GMime for the whole process.
//
// Thread-safety: EnsureGMimeInitialized may be called from any thread, any number of times; the
// first call runs g_mime_init() under std::call_once, the others wait for it and return. GMime is
// never shut down (g_mime_shutdown would pull the charset tables from under another thread).
//
// GMime's own limits, which every caller in src/mime/ keeps: g_mime_init() itself is not
// thread-safe (hence the once-guard); after it, GMime's global tables (charset maps, the iconv
// cache, which GMime locks) may be used from several threads, but a GMime object — message, part,
// stream, parser, options — is not: it is made, used and released by one thread and never shared.
#pragma once

namespace sealpost::mime::internal {

void EnsureGMimeInitialized();

}  // namespace sealpost::mime::internal
