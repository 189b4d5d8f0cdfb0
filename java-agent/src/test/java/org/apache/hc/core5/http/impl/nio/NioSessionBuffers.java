package org.apache.hc.core5.http.impl.nio;

import org.apache.hc.core5.http.nio.SessionInputBuffer;
import org.apache.hc.core5.http.nio.SessionOutputBuffer;

/**
 * Test-only door to HttpCore5's non-blocking session buffers, which are package-private: the fuzz targets parse
 * heads with the same parser and buffer the relay's listener runs (the blocking ones in impl.io are a different
 * implementation). Lives in HttpCore5's package name on the test class path only; nothing in the jar.
 */
public final class NioSessionBuffers {
    private NioSessionBuffers() {}

    /** An input buffer as a server duplexer makes one, without a charset decoder (bytes as ISO-8859-1). */
    public static SessionInputBuffer input(int bufferSize, int maxLineLength) {
        return new SessionInputBufferImpl(bufferSize, 256, maxLineLength, (java.nio.charset.CharsetDecoder) null);
    }

    public static SessionOutputBuffer output(int bufferSize) {
        return new SessionOutputBufferImpl(bufferSize, 256);
    }
}
