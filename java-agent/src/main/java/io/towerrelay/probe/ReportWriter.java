package io.towerrelay.probe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;

/** Renders a {@link ProbeReport} for admins (text) or machines (one JSON document, schema in docs/probe.md). */
public final class ReportWriter {
    public static final int SCHEMA_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportWriter() {
    }

    public static String json(ProbeReport report) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", SCHEMA_VERSION);
        root.put("url", report.url());
        root.put("active_node", report.activeNode());
        root.put("live_events", report.liveEventsWork());
        root.put("exit_code", report.exitCode());
        Cause first = report.failures().isEmpty() ? null : report.failures().get(0).cause();
        root.put("cause", first == null ? null : first.code());
        var checks = root.putArray("checks");
        for (Check c : report.checks()) {
            ObjectNode n = checks.addObject();
            n.put("id", c.id());
            n.put("title", c.title());
            n.put("status", c.status().label());
            n.put("cause", c.cause() == null ? null : c.cause().code());
            n.put("summary", c.summary());
            ObjectNode evidence = n.putObject("evidence");
            c.evidence().forEach(evidence::put);
            if (c.advice() == null) {
                n.putNull("advice");
            } else {
                ObjectNode a = n.putObject("advice");
                a.put("fix", c.advice().fix());
                a.put("nginx", c.advice().nginx());
                a.put("apache", c.advice().apache());
                a.put("relay", c.advice().relay());
                a.put("tower", c.advice().tower());
            }
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String human(ProbeReport report) {
        StringBuilder out = new StringBuilder();
        out.append("Probing live events through ").append(report.url()).append('\n');
        if (report.activeNode() != null) {
            out.append("Tower node that answered: ").append(report.activeNode()).append('\n');
        }
        out.append('\n');
        java.util.Set<Cause> explained = java.util.EnumSet.noneOf(Cause.class);
        for (Check c : report.checks()) {
            out.append(String.format(Locale.ROOT, "%-4s  %s%n", c.status().name(), c.title()));
            out.append("      ").append(c.summary()).append('\n');
            boolean problem = c.status() == CheckStatus.FAIL || c.status() == CheckStatus.WARN;
            if (problem) {
                for (Map.Entry<String, String> e : c.evidence().entrySet()) {
                    out.append("        ").append(e.getKey()).append(": ")
                            .append(e.getValue().replace("\n", "\n          ")).append('\n');
                }
                Advice a = c.advice();
                if (a != null && c.cause() == null) {
                    out.append("      Fix: ").append(a.fix()).append('\n');
                } else if (a != null) {
                    out.append("      Cause: ").append(c.cause().code()).append('\n');
                    if (!explained.add(c.cause())) {
                        out.append("      Fix: as above.\n\n");
                        continue;
                    }
                    out.append("      Fix: ").append(a.fix()).append('\n');
                    section(out, "NGINX", a.nginx());
                    section(out, "Apache", a.apache());
                    section(out, "tower-relay config", a.relay());
                    section(out, "Tower settings", a.tower());
                }
            }
            out.append('\n');
        }
        if (report.liveEventsWork()) {
            out.append("Result: live events work through this proxy.");
            long warnings = report.checks().stream().filter(c -> c.status() == CheckStatus.WARN).count();
            if (warnings > 0) {
                out.append(" ").append(warnings).append(warnings == 1 ? " warning" : " warnings").append(" above.");
            }
        } else {
            out.append("Result: live events do NOT work");
            if (!report.failures().isEmpty()) {
                out.append(": ").append(report.failures().get(0).cause().code());
            }
            out.append('.');
        }
        return out.append('\n').toString();
    }

    private static void section(StringBuilder out, String name, String lines) {
        if (lines == null) {
            return;
        }
        out.append("      ").append(name).append(":\n");
        for (String line : lines.split("\n")) {
            out.append("          ").append(line).append('\n');
        }
    }
}
