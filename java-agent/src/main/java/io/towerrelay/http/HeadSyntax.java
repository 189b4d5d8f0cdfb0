package io.towerrelay.http;

import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import org.apache.hc.core5.http.FormattedHeader;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.ProtocolVersion;
import org.apache.hc.core5.net.URIAuthority;
import org.apache.hc.core5.util.CharArrayBuffer;

/**
 * RFC 9110/9112 syntax and framing checks on a parsed request head. HttpCore5's parser is lenient (it takes
 * {@code G(T} as a method, NUL in header values, Content-Length with Transfer-Encoding); a proxy at the edge must
 * not be: anything two HTTP parsers could read differently is refused with 400 and the connection is closed, so
 * no request can be smuggled past the relay (hardening, issue 10).
 */
public final class HeadSyntax {
    private HeadSyntax() {}

    /** The reason the head is malformed, or empty when it is well-formed. */
    public static Optional<String> problem(HttpRequest request) {
        if (!TokenChars.isToken(request.getMethod())) {
            return Optional.of("invalid method");
        }
        ProtocolVersion version = request.getVersion();
        if (version != null && !HttpVersion.HTTP_1_1.equals(version) && !HttpVersion.HTTP_1_0.equals(version)
                && !HttpVersion.HTTP_2.equals(version)) { // HTTP/2: ALPN-negotiated streams (h2 package)
            return Optional.of("unsupported HTTP version " + version);
        }
        String target = request.getRequestUri();
        if (target == null || target.isEmpty() || !isVisibleAscii(target)
                || !(target.startsWith("/") || target.equals("*") || startsWithHttpScheme(target))) {
            return Optional.of("invalid request target");
        }
        // HttpCore5 reads a target starting with "//" as //authority/path (RFC 3986 network-path) and keeps only what
        // follows the authority: "//a//b/x" becomes path "//b/x". What is left can no longer be passed on as the
        // client wrote it, and passed on it would be split again (found by fuzzing): refuse it.
        if (target.startsWith("//")) {
            return Optional.of("invalid request target (starts with //)");
        }
        // Absolute-form: HttpCore5 splits the target, and getRequestUri() is only the path; check what it took out.
        URIAuthority authority = request.getAuthority();
        if (request.getScheme() != null && authority != null
                && (authority.getUserInfo() != null || !isVisibleAscii(authority.getHostName()))) {
            return Optional.of("invalid request target");
        }
        int contentLengths = 0;
        int transferEncodings = 0;
        for (Iterator<Header> it = request.headerIterator(); it.hasNext(); ) {
            Header h = it.next();
            String value = h.getValue() == null ? "" : h.getValue();
            if (!TokenChars.isToken(h.getName()) || !nameEndsAtColon(h)) {
                return Optional.of("invalid header name");
            }
            if (!isFieldValue(value)) {
                return Optional.of("control character in header " + h.getName());
            }
            if (h.getName().equalsIgnoreCase("Content-Length")) {
                contentLengths++;
                if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9') || value.length() > 18) {
                    return Optional.of("invalid Content-Length");
                }
            } else if (h.getName().equalsIgnoreCase("Transfer-Encoding")) {
                transferEncodings++;
                if (!value.trim().toLowerCase(Locale.ROOT).equals("chunked")) {
                    return Optional.of("unsupported Transfer-Encoding (only chunked is accepted)");
                }
            }
        }
        if (contentLengths > 1) {
            return Optional.of("more than one Content-Length");
        }
        if (transferEncodings > 1) {
            return Optional.of("more than one Transfer-Encoding");
        }
        if (contentLengths > 0 && transferEncodings > 0) {
            return Optional.of("both Content-Length and Transfer-Encoding");
        }
        return Optional.empty();
    }

    /**
     * HttpCore5 trims the name, so {@code Transfer-Encoding : chunked} would pass as Transfer-Encoding; RFC 9112
     * says whitespace before the colon must get 400. The raw line is still there in a parsed header.
     */
    private static boolean nameEndsAtColon(Header h) {
        if (h instanceof FormattedHeader raw) {
            CharArrayBuffer line = raw.getBuffer();
            int colon = line.indexOf(':');
            return colon == h.getName().length() && isFieldValue(line.substring(colon + 1, line.length()));
        }
        return true;
    }

    private static boolean startsWithHttpScheme(String target) {
        String lower = target.toLowerCase(Locale.ROOT);
        return lower.startsWith("http://") || lower.startsWith("https://");
    }

    public static boolean isVisibleAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** Field values may hold HTAB, SP, visible ASCII and obs-text, never another control character. */
    private static boolean isFieldValue(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return false;
            }
        }
        return true;
    }
}
