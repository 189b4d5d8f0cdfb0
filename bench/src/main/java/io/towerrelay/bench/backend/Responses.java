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

    private final ByteBuffer smallKeepAlive = build("200 OK", PING.getBytes(StandardCharsets.US_ASCII), false);
    private final ByteBuffer smallClose = build("200 OK", PING.getBytes(StandardCharsets.US_ASCII), true);
    private final ByteBuffer largeKeepAlive = build("200 OK", largeBody(), false);
    private final ByteBuffer largeClose = build("200 OK", largeBody(), true);
    private final ByteBuffer notFoundKeepAlive = build("404 Not Found", "{\"detail\":\"Not found.\"}".getBytes(StandardCharsets.US_ASCII), false);
    private final ByteBuffer notFoundClose = build("404 Not Found", "{\"detail\":\"Not found.\"}".getBytes(StandardCharsets.US_ASCII), true);

    ByteBuffer forPath(String path, boolean close) {
        int query = path.indexOf('?');
        String p = query < 0 ? path : path.substring(0, query);
        if (p.equals(SMALL_PATH)) {
            return (close ? smallClose : smallKeepAlive).duplicate();
        }
        if (p.equals(LARGE_PATH)) {
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

    private static ByteBuffer build(String status, byte[] body, boolean close) {
        byte[] head = ("HTTP/1.1 " + status + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Vary: Accept, Cookie\r\n"
                + "X-API-Node: awx-web-1\r\n"
                + (close ? "Connection: close\r\n" : "")
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocateDirect(head.length + body.length);
        b.put(head).put(body).flip();
        return b.asReadOnlyBuffer();
    }
}
