package io.towerrelay.logging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.towerrelay.config.AccessLogFormat;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** One line per request or tunnel, to stdout by default so journald keeps it next to the unit. */
public final class AccessLog {
    private static final DateTimeFormatter CLF_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneId.systemDefault());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Replaced by a reload; read once per line. */
    private volatile AccessLogFormat format;
    private final PrintStream out;

    public AccessLog(AccessLogFormat format, PrintStream out) {
        this.format = format;
        this.out = out;
    }

    /** A reload: lines written from now on use {@code next}. */
    public void format(AccessLogFormat next) {
        this.format = next;
    }

    public void log(ExchangeRecord r) {
        AccessLogFormat format = this.format;
        if (format == AccessLogFormat.OFF) {
            return;
        }
        if (format == AccessLogFormat.COMBINED) {
            write(r.remote() + " - - [" + CLF_TIME.format(r.start) + "] \"" + clf(r.method + " " + r.target + " " + r.protocol)
                    + "\" " + r.status + " " + (r.bytesOut == 0 ? "-" : Long.toString(r.bytesOut)) + " \""
                    + clf(orDash(r.referer())) + "\" \"" + clf(orDash(r.userAgent())) + "\"");
            return;
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", r.start.toString());
        line.put("type", "http");
        line.put("remote", r.remote());
        line.put("method", r.method);
        line.put("target", r.target);
        line.put("protocol", r.protocol);
        line.put("host", r.host());
        line.put("status", r.status);
        line.put("bytes_in", r.bytesIn);
        line.put("bytes_out", r.bytesOut);
        line.put("duration_ms", r.elapsedNanos() / 1_000_000.0);
        line.put("referer", r.referer());
        line.put("user_agent", r.userAgent());
        line.put("upstream", r.upstream);
        if (r.retries > 0) {
            line.put("retries", r.retries);
        }
        if (r.error != null) {
            line.put("error", r.error);
        }
        writeJson(line);
    }

    /** A closed (or refused) WebSocket tunnel: one line, like a request, with its duration and bytes each way. */
    public void logTunnel(Instant start, String remote, String target, String upstream, int status, long bytesToUpstream,
            long bytesToClient, long durationNanos, String note) {
        AccessLogFormat format = this.format;
        if (format == AccessLogFormat.OFF) {
            return;
        }
        if (format == AccessLogFormat.COMBINED) {
            write(remote + " - - [" + CLF_TIME.format(start) + "] \"" + clf("GET " + target + " HTTP/1.1") + "\" " + status
                    + " " + bytesToClient + " \"-\" \"-\"");
            return;
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", start.toString());
        line.put("type", "websocket");
        line.put("remote", remote);
        line.put("target", target);
        line.put("upstream", "-".equals(upstream) ? null : upstream);
        line.put("status", status);
        line.put("bytes_in", bytesToUpstream);
        line.put("bytes_out", bytesToClient);
        line.put("duration_ms", durationNanos / 1_000_000.0);
        if (note != null) {
            line.put("note", note);
        }
        writeJson(line);
    }

    private void writeJson(Map<String, Object> line) {
        try {
            write(JSON.writeValueAsString(line));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("access log entry not serialisable", e);
        }
    }

    /** On the log thread: the caller is an I/O thread, and stdout may be a slow journald pipe (see BackgroundLog). */
    private void write(String line) {
        BackgroundLog.submit(() -> out.println(line));
    }

    private static String orDash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    /** Escapes quotes, backslashes and control characters so a request cannot forge log lines. */
    private static String clf(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
