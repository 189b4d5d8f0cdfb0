package io.towerrelay.tunnel;

import io.towerrelay.http.HopByHopHeaders;
import io.towerrelay.http.ResponseHeadParser;
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
     * Finds a complete response head at the start of {@code in} (read mode, a heap buffer) and parses it with the
     * rules of every upstream answer ({@link ResponseHeadParser}); on success the head is consumed from {@code in}.
     * Returns null when more bytes are needed.
     */
    static HttpResponse parseResponseHead(ByteBuffer in) throws ParseException {
        int end = ResponseHeadParser.headEnd(in, in.position());
        return end < 0 ? null : ResponseHeadParser.parse(in, end);
    }
}
