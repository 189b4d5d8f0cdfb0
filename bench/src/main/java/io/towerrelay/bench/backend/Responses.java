package io.towerrelay.bench.backend;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The backend's HTTP answers, built once as read-only direct buffers; each response is a duplicate of one. */
final class Responses {

    static final String SMALL_PATH = "/api/v2/ping/";
    static final String LARGE_PATH = "/api/v2/bench/64k/";
    static final int LARGE_BODY = 64 * 1024;

    private static final String PING = "{\"ha\":false,\"version\":\"24.6.1\",\"active_node\":\"awx-web-1\","
            + "\"install_uuid\":\"00000000-0000-4000-8000-000000000001\",\"instances\":[{\"node\":\"awx-web-1\","
            + "\"node_type\":\"hybrid\",\"uuid\":\"00000000-0000-4000-8000-000000000002\",\"heartbeat\":"
            + "\"2026-11-28T10:00:00Z\",\"capacity\":57,\"version\":\"24.6.1\"}],\"instance_groups\":"
            + "[{\"name\":\"default\",\"capacity\":57,\"instances\":[\"awx-web-1\"]}]}";

    /** An answer's status and JSON body; every answer also carries {@link #EXTRA_HEADERS}. */
    record Answer(int status, String reason, byte[] body) {}

    /** Headers every answer carries besides Content-Type and Content-Length, as Tower's do. */
    static final String[][] EXTRA_HEADERS = {{"Vary", "Accept, Cookie"}, {"X-API-Node", "awx-web-1"}};

    static final Answer SMALL = new Answer(200, "OK", PING.getBytes(StandardCharsets.US_ASCII));
    static final Answer LARGE = new Answer(200, "OK", largeBody());
    static final Answer NOT_FOUND = new Answer(404, "Not Found", "{\"detail\":\"Not found.\"}".getBytes(StandardCharsets.US_ASCII));

    private final ByteBuffer smallKeepAlive = build(SMALL, false);
    private final ByteBuffer smallClose = build(SMALL, true);
    private final ByteBuffer largeKeepAlive = build(LARGE, false);
    private final ByteBuffer largeClose = build(LARGE, true);
    private final ByteBuffer notFoundKeepAlive = build(NOT_FOUND, false);
    private final ByteBuffer notFoundClose = build(NOT_FOUND, true);

    /** The answer for a request path (its query ignored). */
    static Answer answerFor(String path) {
        int query = path.indexOf('?');
        String p = query < 0 ? path : path.substring(0, query);
        if (p.equals(SMALL_PATH)) {
            return SMALL;
        }
        return p.equals(LARGE_PATH) ? LARGE : NOT_FOUND;
    }

    ByteBuffer forPath(String path, boolean close) {
        Answer a = answerFor(path);
        if (a == SMALL) {
            return (close ? smallClose : smallKeepAlive).duplicate();
        }
        if (a == LARGE) {
            return (close ? largeClose : largeKeepAlive).duplicate();
        }
        return (close ? notFoundClose : notFoundKeepAlive).duplicate();
    }

    private static byte[] largeBody() {
        // A JSON document of exactly 64 KiB, like a page of job events.
        String head = "{\"count\":1,\"results\":\"";
        String tail = "\"}";
        StringBuilder b = new StringBuilder(LARGE_BODY).append(head);
        String line = "TASK [webapp : Ensure the service is running] ok: [web1] ";
        while (b.length() < LARGE_BODY - tail.length()) {
            b.append(line);
        }
        b.setLength(LARGE_BODY - tail.length());
        b.append(tail);
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static ByteBuffer build(Answer answer, boolean close) {
        StringBuilder h = new StringBuilder("HTTP/1.1 ").append(answer.status()).append(' ').append(answer.reason()).append("\r\n")
                .append("Content-Type: application/json\r\n")
                .append("Content-Length: ").append(answer.body().length).append("\r\n");
        for (String[] header : EXTRA_HEADERS) {
            h.append(header[0]).append(": ").append(header[1]).append("\r\n");
        }
        byte[] head = h.append(close ? "Connection: close\r\n" : "").append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocateDirect(head.length + answer.body().length);
        b.put(head).put(answer.body()).flip();
        return b.asReadOnlyBuffer();
    }
}
