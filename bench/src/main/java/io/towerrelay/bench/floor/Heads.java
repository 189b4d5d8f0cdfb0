package io.towerrelay.bench.floor;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.ParseException;
import org.apache.hc.core5.http.message.BasicLineParser;
import org.apache.hc.core5.http.message.RequestLine;
import org.apache.hc.core5.http.message.StatusLine;
import org.apache.hc.core5.util.CharArrayBuffer;

/** Parsing heads with HttpCore5's line parser and writing the rewritten ones, as a proxy must for every message. */
final class Heads {
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization");

    private Heads() {}

    record Request(RequestLine line, Header[] headers) {}

    record Response(StatusLine line, Header[] headers) {}

    static Request request(List<CharArrayBuffer> lines) throws ParseException {
        return new Request(BasicLineParser.INSTANCE.parseRequestLine(lines.get(0)), headers(lines));
    }

    static Response response(List<CharArrayBuffer> lines) throws ParseException {
        return new Response(BasicLineParser.INSTANCE.parseStatusLine(lines.get(0)), headers(lines));
    }

    private static Header[] headers(List<CharArrayBuffer> lines) throws ParseException {
        Header[] headers = new Header[lines.size() - 1];
        for (int i = 1; i < lines.size(); i++) {
            headers[i - 1] = BasicLineParser.INSTANCE.parseHeader(lines.get(i));
        }
        return headers;
    }

    static String value(Header[] headers, String name) {
        for (Header h : headers) {
            if (h.getName().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    /** True when a {@code Connection} header lists {@code close}. */
    static boolean wantsClose(Header[] headers) {
        String connection = value(headers, "Connection");
        return connection != null && connection.toLowerCase(Locale.ROOT).contains("close");
    }

    /** The request head that goes upstream: end-to-end headers, {@code Host} kept, {@code X-Forwarded-*} added. */
    static byte[] upstreamRequest(Request request, String clientAddress, int listenerPort) {
        StringBuilder b = new StringBuilder(512);
        b.append(request.line().getMethod()).append(' ').append(request.line().getUri()).append(" HTTP/1.1\r\n");
        endToEnd(b, request.headers());
        String host = value(request.headers(), "Host");
        b.append("X-Forwarded-For: ").append(clientAddress).append("\r\n")
                .append("X-Forwarded-Proto: http\r\n")
                .append("X-Forwarded-Host: ").append(host == null ? "" : host).append("\r\n")
                .append("X-Forwarded-Port: ").append(listenerPort).append("\r\n\r\n");
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The answer's head for the client: end-to-end headers, and {@code Connection: close} when it ends the connection. */
    static byte[] clientResponse(Response response, boolean close) {
        StringBuilder b = new StringBuilder(512);
        b.append("HTTP/1.1 ").append(response.line().getStatusCode()).append(' ')
                .append(response.line().getReasonPhrase() == null ? "" : response.line().getReasonPhrase()).append("\r\n");
        endToEnd(b, response.headers());
        String length = value(response.headers(), "Content-Length");
        if (length != null) {
            b.append("Content-Length: ").append(length).append("\r\n"); // dropped with the others, it is framing
        }
        if (close) {
            b.append("Connection: close\r\n");
        }
        return b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The proxy's own answer, ending the connection. */
    static byte[] ownAnswer(int status, String reason) {
        String body = status + " " + reason + "\n";
        return ("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain\r\nContent-Length: " + body.length()
                + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void endToEnd(StringBuilder b, Header[] headers) {
        for (Header h : headers) {
            String name = h.getName().toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(name) && !name.equals("content-length")) {
                b.append(h.getName()).append(": ").append(h.getValue()).append("\r\n");
            }
        }
    }
}
