package io.towerrelay.http;

import org.apache.hc.core5.http.message.BasicHeader;

/**
 * A header field read by a parser that refuses every control character in a value but HTAB
 * ({@link ResponseHeadParser}): {@link HeadWriter} writes its value as it is, without looking for line breaks.
 */
public final class CheckedHeader extends BasicHeader {
    private static final long serialVersionUID = 1L;

    CheckedHeader(String name, String value) {
        super(name, value);
    }
}
