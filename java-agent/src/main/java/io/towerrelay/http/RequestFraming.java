package io.towerrelay.http;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.NotImplementedException;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.ProtocolVersion;

/**
 * RFC 9112 section 6 (message body length) for a request head, checked as it is parsed: a head whose body length
 * the relay cannot determine beyond doubt is refused before anything is read past it. Checked by the listener's
 * HTTP/1.1 handler on each head it parsed: a {@link ProtocolException} is answered 400 and a
 * {@link NotImplementedException} 501, with {@code Connection: close}; the connection is not read further and closes
 * once the answer is out. No exchange handler runs, so nothing reaches Tower.
 *
 * <ul>
 *   <li>Transfer-Encoding in an HTTP/1.0 request: 400 (section 6.1: the framing is faulty);</li>
 *   <li>Transfer-Encoding with Content-Length: 400 (section 6.1 lets a server reject it; a proxy must, as two
 *       parsers could read two bodies);</li>
 *   <li>Transfer-Encoding whose final coding is not {@code chunked} (gzip, identity, {@code chunked, gzip},
 *       unknown tokens, an empty value), or {@code chunked} twice: 400 (section 6.3 item 4: the length cannot be
 *       determined; section 6.1: chunked at most once);</li>
 *   <li>a final {@code chunked} after another coding ({@code gzip, chunked}): 501 (section 6.1: a coding the
 *       server does not understand; the relay forwards bodies and does not decode gzip);</li>
 *   <li>Content-Length that is not one run of digits (signs, spaces, hex, empty), longer than 18 digits, a list,
 *       or repeated, even with equal values: 400 (section 6.3 item 5; RFC 9110 section 8.6 lets a recipient
 *       reject "42, 42", and NGINX does).</li>
 * </ul>
 */
public final class RequestFraming {
    private RequestFraming() {}

    /** Longest Content-Length accepted: 18 digits always fit a long. */
    static final int MAX_LENGTH_DIGITS = 18;

    public static void check(HttpRequest request) throws ProtocolException {
        List<String> codings = new ArrayList<>();
        boolean transferEncoding = false;
        int contentLengths = 0;
        for (Iterator<Header> it = request.headerIterator(); it.hasNext(); ) {
            Header h = it.next();
            String value = h.getValue() == null ? "" : h.getValue();
            if (h.getName().equalsIgnoreCase(HttpHeaders.TRANSFER_ENCODING)) {
                transferEncoding = true;
                for (String element : value.split(",", -1)) {
                    String coding = element.trim();
                    if (!coding.isEmpty()) { // RFC 9110 section 5.6.1: empty list elements are ignored
                        codings.add(coding.toLowerCase(Locale.ROOT));
                    }
                }
            } else if (h.getName().equalsIgnoreCase(HttpHeaders.CONTENT_LENGTH)) {
                contentLengths++;
                String length = value.trim();
                if (length.isEmpty() || length.length() > MAX_LENGTH_DIGITS
                        || !length.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new ProtocolException("invalid Content-Length \"" + printable(value) + "\"");
                }
            }
        }
        if (contentLengths > 1) {
            throw new ProtocolException("more than one Content-Length");
        }
        if (!transferEncoding) {
            return;
        }
        ProtocolVersion version = request.getVersion();
        if (version != null && version.lessEquals(HttpVersion.HTTP_1_0)) {
            throw new ProtocolException("Transfer-Encoding in an HTTP/1.0 request");
        }
        if (contentLengths > 0) {
            throw new ProtocolException("both Transfer-Encoding and Content-Length");
        }
        if (codings.isEmpty() || !codings.get(codings.size() - 1).equals("chunked")) {
            throw new ProtocolException("Transfer-Encoding does not end with chunked: the body length is unknown");
        }
        if (codings.indexOf("chunked") != codings.size() - 1) {
            throw new ProtocolException("chunked applied more than once");
        }
        if (codings.size() > 1) {
            String other = codings.get(0);
            if (!TokenChars.isToken(other.split(";", 2)[0].trim())) {
                throw new ProtocolException("invalid transfer coding");
            }
            throw new NotImplementedException("transfer coding " + printable(other) + " is not supported (only chunked)");
        }
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && out.length() < 40; i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }
}
