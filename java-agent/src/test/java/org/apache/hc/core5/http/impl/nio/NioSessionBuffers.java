package org.apache.hc.core5.http.impl.nio;

import org.apache.hc.core5.http.config.CharCodingConfig;
import org.apache.hc.core5.http.impl.CharCodingSupport;
import org.apache.hc.core5.http.nio.SessionInputBuffer;
import org.apache.hc.core5.http.nio.SessionOutputBuffer;

/**
 * Test-only door to HttpCore5's non-blocking session buffers, which are package-private: the fuzz targets parse
 * heads with the same parser and buffer the relay's listener runs (the blocking ones in impl.io are a different
 * implementation). Lives in HttpCore5's package name on the test class path only; nothing in the jar.
 */
public final class NioSessionBuffers {
    private NioSessionBuffers() {}

    /** An input buffer as a duplexer makes one for {@code coding}. */
    public static SessionInputBuffer input(int bufferSize, int maxLineLength, CharCodingConfig coding) {
        return new SessionInputBufferImpl(bufferSize, 256, maxLineLength, CharCodingSupport.createDecoder(coding));
    }

    /** An output buffer as a duplexer makes one for {@code coding}. */
    public static SessionOutputBuffer output(int bufferSize, CharCodingConfig coding) {
        return new SessionOutputBufferImpl(bufferSize, 256, CharCodingSupport.createEncoder(coding));
    }
}
