package io.towerrelay.tunnel;

import io.towerrelay.http.HopByHopHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpMessage;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.ParseException;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.message.BasicLineParser;
import org.apache.hc.core5.http.message.StatusLine;
import org.apache.hc.core5.util.CharArrayBuffer;

/** Writing the handshake request head and reading the upstream's response head, by hand (see the package doc). */
final class MessageHeads {

    private MessageHeads() {
    }

    /**
     * The head sent upstream: the request as the proxy core transformed it (forwarding headers set, {@code Host}
     * kept, {@code Sec-WebSocket-*} untouched), hop-by-hop headers dropped again in case any slipped through,
     * plus the two headers that make it an upgrade.
     */
    static ByteBuffer requestHead(HttpRequest request) {
        StringBuilder head = new StringBuilder(512);
        head.append(request.getMethod()).append(' ').append(request.getRequestUri()).append(" HTTP/1.1\r\n");
        if (!request.containsHeader("Host") && request.getAuthority() != null) {
            head.append("Host: ").append(request.getAuthority().toString()).append("\r\n");
        }
        Set<String> dropped = connectionScoped(request);
        for (Iterator<Header> it = request.headerIterator(); it.hasNext(); ) {
            Header header = it.next();
            if (!dropped.contains(header.getName().toLowerCase(Locale.ROOT)) && !header.getName().equalsIgnoreCase("Content-Length")) {
                head.append(header.getName()).append(": ").append(header.getValue()).append("\r\n");
            }
        }
        head.append("Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        return ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The 101 head as the client gets it: upstream's headers minus hop-by-hop ones, plus the upgrade pair. */
    static ByteBuffer switchingHead(HttpResponse response) {
        StringBuilder head = new StringBuilder(512);
        String reason = response.getReasonPhrase() == null || response.getReasonPhrase().isEmpty()
                ? "Switching Protocols" : response.getReasonPhrase();
        head.append("HTTP/1.1 101 ").append(reason).append("\r\n");
        Set<String> dropped = connectionScoped(response);
        dropped.add("content-length");
        for (Iterator<Header> it = response.headerIterator(); it.hasNext(); ) {
            Header header = it.next();
            if (!dropped.contains(header.getName().toLowerCase(Locale.ROOT))) {
                head.append(header.getName()).append(": ").append(header.getValue()).append("\r\n");
            }
        }
        head.append("Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        return ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * A refused handshake's head as handed to HttpCore5: hop-by-hop and framing headers removed (HttpCore5
     * writes its own framing and connection headers, and the client connection stays plain HTTP).
     */
    static HttpResponse relayedHead(HttpResponse response) {
        BasicHttpResponse copy = new BasicHttpResponse(response.getCode(), response.getReasonPhrase());
        Set<String> dropped = connectionScoped(response);
        dropped.add("content-length");
        for (Iterator<Header> it = response.headerIterator(); it.hasNext(); ) {
            Header header = it.next();
            if (!dropped.contains(header.getName().toLowerCase(Locale.ROOT))) {
                copy.addHeader(header);
            }
        }
        return copy;
    }

    /** Hop-by-hop headers plus every header the message's {@code Connection} names, lower case. */
    static Set<String> connectionScoped(HttpMessage message) {
        Set<String> names = new HashSet<>(HopByHopHeaders.ALWAYS);
        names.addAll(HopByHopHeaders.connectionTokens(message));
        return names;
    }

    /**
     * Finds a complete response head at the start of {@code in} (read mode) and parses it; on success the head
     * is consumed from {@code in}. Returns null when more bytes are needed.
     */
    static HttpResponse parseResponseHead(ByteBuffer in) throws ParseException {
        int start = in.position();
        int end = -1;
        for (int i = start; i + 3 < in.limit(); i++) {
            if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            return null;
        }
        String text = new String(in.array(), in.arrayOffset() + start, end - start, StandardCharsets.ISO_8859_1);
        // A bare CR or LF (or another control character) inside a line: the client's parser could take it as a
        // line end, so a reason phrase or value from upstream would become extra header lines (found by fuzzing).
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t' && !(c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n')
                    && !(c == '\n' && i > 0 && text.charAt(i - 1) == '\r')) || c == 0x7f) {
                throw new ParseException("control character in the response head");
            }
        }
        in.position(end + 4);
        String[] lines = text.split("\r\n");
        CharArrayBuffer line = new CharArrayBuffer(256);
        line.append(lines[0]);
        BasicHttpResponse response;
        try {
            StatusLine status = BasicLineParser.INSTANCE.parseStatusLine(line);
            response = new BasicHttpResponse(status.getStatusCode(), status.getReasonPhrase());
            response.setVersion(status.getProtocolVersion());
        } catch (IllegalArgumentException e) { // "HTTP/-1.1", status 000: HttpCore5 checks the numbers this way
            throw new ParseException("invalid status line: " + e.getMessage());
        }
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isEmpty()) {
                continue;
            }
            if (lines[i].charAt(0) == ' ' || lines[i].charAt(0) == '\t') {
                throw new ParseException("Obsolete line folding in response head");
            }
            line.clear();
            line.append(lines[i]);
            response.addHeader(BasicLineParser.INSTANCE.parseHeader(line));
        }
        return response;
    }
}
