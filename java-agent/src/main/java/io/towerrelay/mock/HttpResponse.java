package io.towerrelay.mock;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** A complete response; the mock always knows its body, so it is framed with Content-Length. */
record HttpResponse(int status, List<HttpHeader> headers, byte[] body) {

    HttpResponse {
        headers = List.copyOf(headers);
    }

    static HttpResponse of(int status, String contentType, String body) {
        return new HttpResponse(status, List.of(new HttpHeader("Content-Type", contentType)),
                body.getBytes(StandardCharsets.UTF_8));
    }

    static HttpResponse json(int status, Object value) {
        return of(status, "application/json", Json.write(value));
    }

    static HttpResponse text(int status, String body) {
        return of(status, "text/plain; charset=utf-8", body + "\n");
    }

    HttpResponse withHeader(String name, String value) {
        List<HttpHeader> more = new ArrayList<>(headers);
        more.add(new HttpHeader(name, value));
        return new HttpResponse(status, more, body);
    }

    /** Serializes head and body; HEAD requests get the head only (with the length of the body they would get). */
    ByteBuffer encode(boolean keepAlive, boolean headRequest) {
        StringBuilder head = new StringBuilder(256);
        head.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        head.append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC))).append("\r\n");
        head.append("Server: mock-tower\r\n");
        for (HttpHeader h : headers) {
            head.append(h.name()).append(": ").append(h.value()).append("\r\n");
        }
        head.append("Content-Length: ").append(body.length).append("\r\n");
        head.append("Connection: ").append(keepAlive ? "keep-alive" : "close").append("\r\n\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(headBytes.length + (headRequest ? 0 : body.length));
        out.put(headBytes);
        if (!headRequest) {
            out.put(body);
        }
        return out.flip();
    }

    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 301 -> "Moved Permanently";
            case 204 -> "No Content";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 413 -> "Payload Too Large";
            case 415 -> "Unsupported Media Type";
            case 426 -> "Upgrade Required";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status " + status;
        };
    }
}
