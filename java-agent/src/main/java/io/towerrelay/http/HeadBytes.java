package io.towerrelay.http;

import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.http.config.CharCodingConfig;

/**
 * How the relay's HTTP/1.1 heads are turned into characters and back, on both sides: ISO-8859-1, one byte one char.
 * Header values are bytes, and RFC 9110 allows obs-text (0x80-0xFF) in them; UTF-8 in a cookie or a file name
 * must pass unchanged. HttpCore5 without a charset writes bytes 0x80-0x9F (in most UTF-8 text) as '?'.
 */
public final class HeadBytes {
    public static final CharCodingConfig CODING = CharCodingConfig.custom().setCharset(StandardCharsets.ISO_8859_1).build();

    private HeadBytes() {}
}
