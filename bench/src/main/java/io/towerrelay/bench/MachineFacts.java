package io.towerrelay.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the numbers were measured on: cores, CPU, kernel, and each program's version. */
public record MachineFacts(Map<String, String> facts) {

    public static MachineFacts collect() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        f.put("cpu", cpuModel());
        f.put("kernel", firstLine(List.of("uname", "-r")));
        f.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        f.put("nginx", firstLine(List.of("/usr/sbin/nginx", "-v")));
        f.put("apache", firstLine(List.of("/usr/sbin/apache2", "-v")));
        f.put("haproxy", firstLine(List.of("/usr/sbin/haproxy", "-v")));
        f.put("wrk", firstLine(List.of("wrk", "-v")));
        f.put("load average at the end (1, 5, 15 min)", loadAverage());
        f.put("fd limit", firstLine(List.of("sh", "-c", "echo soft $(ulimit -Sn), hard $(ulimit -Hn)")));
        return new MachineFacts(f);
    }

    /** Other developers' tests share this machine: the load says how much of it the run had. */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // below
        }
        return "unknown";
    }

    private static String firstLine(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    return line.trim();
                }
            }
            return "";
        } catch (IOException e) {
            return "not installed";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
