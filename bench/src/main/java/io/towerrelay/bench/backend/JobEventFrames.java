package io.towerrelay.bench.backend;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Server-to-client WebSocket text frames carrying an AWX-like {@code job_events} message. Each frame is copied
 * from one template and only its timestamp and counter digits are rewritten, so the backend can push frames as
 * fast as the socket takes them without building JSON or allocating per event.
 *
 * <p>The payload starts with {@code {"ts":} and 19 digits: the sender's {@link System#nanoTime()} (on Linux
 * CLOCK_MONOTONIC, the same clock in every process of the machine), read by the load generator to measure
 * delivery latency without parsing JSON.
 */
public final class JobEventFrames {

    /** Where the 19 timestamp digits start in the payload; the load generator reads them there. */
    public static final int TS_OFFSET = 6;
    public static final int TS_DIGITS = 19;
    public static final byte[] TS_PREFIX = "{\"ts\":".getBytes(StandardCharsets.US_ASCII);
    private static final int COUNTER_DIGITS = 10;

    private static final byte[] PAYLOAD;
    private static final int COUNTER_OFFSET;
    private static final byte[] FRAME;
    private static final int HEADER = 4;

    static {
        String json = "{\"ts\":" + "0".repeat(TS_DIGITS)
                + ",\"group_name\":\"job_events\",\"type\":\"job_event\",\"job\":1,\"counter\":" + "0".repeat(COUNTER_DIGITS)
                + ",\"event\":\"runner_on_ok\",\"uuid\":\"3f1b9c4e-5d2a-4e8b-9a77-0c6d2f4b8e11\""
                + ",\"parent_uuid\":\"a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d\",\"created\":\"2026-11-28T10:00:00.000000Z\""
                + ",\"modified\":\"2026-11-28T10:00:00.000000Z\",\"host\":1,\"host_name\":\"web1\",\"play\":\"Deploy\""
                + ",\"task\":\"Ensure the service is running\",\"role\":\"webapp\",\"failed\":false,\"changed\":false"
                + ",\"stdout\":\"\\u001b[0;32mok: [web1]\\u001b[0m\",\"start_line\":6,\"end_line\":7,\"verbosity\":0"
                + ",\"event_display\":\"Host OK\",\"event_level\":3,\"job_id\":1,\"job_created\":\"2026-11-28T09:59:58.000000Z\"}";
        PAYLOAD = json.getBytes(StandardCharsets.US_ASCII);
        COUNTER_OFFSET = json.indexOf("\"counter\":") + "\"counter\":".length();
        FRAME = new byte[HEADER + PAYLOAD.length];
        FRAME[0] = (byte) 0x81;          // FIN + text
        FRAME[1] = 126;                  // 16-bit length follows (payload is over 125 bytes)
        FRAME[2] = (byte) (PAYLOAD.length >>> 8);
        FRAME[3] = (byte) PAYLOAD.length;
        System.arraycopy(PAYLOAD, 0, FRAME, HEADER, PAYLOAD.length);
    }

    private JobEventFrames() {}

    public static int frameLength() {
        return FRAME.length;
    }

    public static int payloadLength() {
        return PAYLOAD.length;
    }

    /** Appends one frame to {@code out} (which must have {@link #frameLength()} bytes left). */
    static void put(ByteBuffer out, long counter, long timestampNanos) {
        int start = out.position();
        out.put(FRAME);
        putDigits(out, start + HEADER + TS_OFFSET, timestampNanos, TS_DIGITS);
        putDigits(out, start + HEADER + COUNTER_OFFSET, counter, COUNTER_DIGITS);
    }

    private static void putDigits(ByteBuffer out, int at, long value, int width) {
        long v = value;
        for (int i = at + width - 1; i >= at; i--) {
            out.put(i, (byte) ('0' + (v % 10)));
            v /= 10;
        }
    }

    /** A server-to-client (unmasked) text frame of a short message, e.g. AWX's {"accept": true, "user": 1}. */
    public static byte[] textFrame(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        if (payload.length > 125) {
            throw new IllegalArgumentException("short messages only");
        }
        byte[] frame = new byte[2 + payload.length];
        frame[0] = (byte) 0x81;
        frame[1] = (byte) payload.length;
        System.arraycopy(payload, 0, frame, 2, payload.length);
        return frame;
    }
}
