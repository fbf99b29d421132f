// GMime streams over Sealpost's own byte sources and sinks (mime/streamed_message.h), so that
// GMime parses a message that is not in memory and decodes its parts into a callback.
//
// Not thread-safe (as every GMime object). The source, the status and the callback given here
// must outlive the stream and every substream GMime makes of it.
#pragma once

#include <gmime/gmime.h>

#include <functional>

#include "core/encoding.h"
#include "core/status.h"
#include "mime/internal/gmime_handles.h"
#include "mime/streamed_message.h"

namespace sealpost::mime::internal {

// A read-only, seekable stream over `source`: GMime's parser then keeps a part's content as a
// substream (a range of the source) instead of copying it. A read failure is an I/O error to
// GMime (-1); the first failure's status is kept in `*error` (for the caller to return).
GObjectPtr<GMimeStream> NewSourceStream(MessageSource& source, Status* error);

// A write-only stream that hands every write to `write`; a failed `write` is an I/O error to
// GMime, its status kept in `*error`.
GObjectPtr<GMimeStream> NewSinkStream(const std::function<Status(ByteView)>& write, Status* error);

}  // namespace sealpost::mime::internal
