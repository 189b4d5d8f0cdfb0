package io.towerrelay.h2;

import org.apache.hc.core5.http2.config.H2Config;

/**
 * What one HTTP/2 client connection may cost. The first five are HTTP/2 settings the relay announces (HttpCore5
 * enforces them); the rest bound what no setting covers and the frame screen enforces: frames a client can make
 * the relay answer or work on without sending a request (PING, SETTINGS, PRIORITY, and RST_STREAM on its own
 * streams, the "rapid reset" of CVE-2023-44487), as a token bucket per connection: {@code burst} at once, then
 * {@code perSecond}. Over it the connection ends with GOAWAY ENHANCE_YOUR_CALM, as NGINX and Go's server do.
 *
 * @param maxConcurrentStreams  SETTINGS_MAX_CONCURRENT_STREAMS: requests in flight per connection
 * @param maxHeaderListSize     SETTINGS_MAX_HEADER_LIST_SIZE: decoded header bytes per request (HPACK's count)
 * @param initialWindowSize     SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a client may send ahead per stream
 * @param maxFrameSize          SETTINGS_MAX_FRAME_SIZE
 * @param headerTableSize       SETTINGS_HEADER_TABLE_SIZE: the HPACK table the client may make the relay keep
 * @param maxHeaderBlockBytes   compressed bytes of one header block (HEADERS plus its CONTINUATIONs)
 * @param maxContinuations      CONTINUATION frames in one header block (empty ones cost no bytes, only work)
 * @param controlBurst          PING, SETTINGS and PRIORITY frames at once
 * @param controlPerSecond      ... and per second after that
 * @param resetBurst            streams the client resets itself, at once
 * @param resetsPerSecond       ... and per second after that
 */
public record H2Limits(int maxConcurrentStreams, int maxHeaderListSize, int initialWindowSize, int maxFrameSize,
        int headerTableSize, int maxHeaderBlockBytes, int maxContinuations, int controlBurst, int controlPerSecond, int resetBurst,
        int resetsPerSecond) {

    /** The relay's defaults, with the header list bounded by {@code limits.max-header-bytes}. */
    public static H2Limits defaults(int maxHeaderBytes, int streamWindow) {
        // 100 streams (NGINX: 128, HAProxy: 100), RFC 9113's default frame and table sizes. A header block may be
        // larger compressed than decoded only by a few bytes per field (literal strings without Huffman), so
        // twice the list size plus a frame leaves room for any honest block.
        // The header list bound is above limits.max-header-bytes: a request between the two is decoded whole and
        // answered 431 by the request screen like over HTTP/1.1 (HttpCore5's decoder stops mid-block at its
        // limit, and its HPACK table then no longer matches the client's); above it the connection ends.
        return new H2Limits(100, 2 * maxHeaderBytes + 8_192, streamWindow, 16_384, 4_096,
                2 * maxHeaderBytes + 16_384, 64, 200, 50, 200, 50);
    }

    /** The settings HttpCore5's multiplexer announces and enforces. */
    public H2Config config() {
        return H2Config.custom()
                .setMaxConcurrentStreams(maxConcurrentStreams)
                .setMaxHeaderListSize(maxHeaderListSize)
                .setInitialWindowSize(initialWindowSize)
                .setMaxFrameSize(maxFrameSize)
                .setHeaderTableSize(headerTableSize)
                .setPushEnabled(false)
                .build();
    }
}
