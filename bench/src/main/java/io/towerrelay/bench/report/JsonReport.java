package io.towerrelay.bench.report;

import io.towerrelay.bench.BenchOptions;
import io.towerrelay.bench.MachineFacts;
import java.util.List;
import java.util.Map;

/** Every sample of the run as JSON (the chart script and anyone re-checking the table read it). */
public final class JsonReport {

    private JsonReport() {}

    public static String render(Results r, BenchOptions o, MachineFacts facts) {
        StringBuilder b = new StringBuilder("{\n  \"machine\": {");
        String sep = "";
        for (Map.Entry<String, String> e : facts.facts().entrySet()) {
            b.append(sep).append("\n    ").append(str(e.getKey())).append(": ").append(str(e.getValue()));
            sep = ",";
        }
        b.append("\n  },\n  \"options\": {\"rounds\": ").append(o.rounds())
                .append(", \"http_window_s\": ").append(o.httpWindow().toSeconds())
                .append(", \"ws_window_s\": ").append(o.wsWindow().toSeconds())
                .append(", \"ws_sockets\": ").append(o.wsSockets())
                .append(", \"paced_events_per_s\": ").append(o.pacedEventsPerSecond())
                .append(", \"idle_sockets\": ").append(o.idleSockets())
                .append(", \"targets\": ").append(list(o.targets()))
                .append(", \"phases\": ").append(list(o.phases())).append("},\n  \"notes\": {");
        sep = "";
        for (Map.Entry<String, String> e : r.notes().entrySet()) {
            b.append(sep).append("\n    ").append(str(e.getKey())).append(": ").append(str(e.getValue()));
            sep = ",";
        }
        b.append("\n  },\n  \"samples\": {");
        sep = "";
        for (Map.Entry<String, List<Double>> e : r.all().entrySet()) {
            b.append(sep).append("\n    ").append(str(e.getKey())).append(": [");
            String s2 = "";
            for (double v : e.getValue()) {
                b.append(s2).append(Double.isFinite(v) ? Double.toString(v) : "null");
                s2 = ", ";
            }
            b.append(']');
            sep = ",";
        }
        return b.append("\n  }\n}\n").toString();
    }

    private static String list(List<String> items) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < items.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(str(items.get(i)));
        }
        return b.append(']').toString();
    }

    static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
