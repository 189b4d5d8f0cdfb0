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

    /**
     * The machine's CPU time counters (/proc/stat, all cores, in ticks) at one moment: two of them give how the
     * cores' time went between them.
     */
    public record CpuTimes(long busy, long idle, long steal) {
        public static CpuTimes now() {
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                // cpu user nice system idle iowait irq softirq steal ...
                long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
                long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                        + Long.parseLong(f[7]);
                long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
                return new CpuTimes(busy, idle, steal);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        /**
         * The share of the cores' time since {@code start} that the hypervisor gave to other guests while this one
         * had work (steal), as text, with the share this machine was busy.
         */
        public String since(CpuTimes start) {
            if (start == null) {
                return "unknown";
            }
            long busy = this.busy - start.busy;
            long steal = this.steal - start.steal;
            long all = busy + steal + idle - start.idle;
            if (all <= 0) {
                return "unknown";
            }
            return String.format("%.1f %% stolen, %.1f %% busy", 100.0 * steal / all, 100.0 * busy / all);
        }
    }

    /**
     * The facts now. {@code runStart}: the CPU counters when the run began (null: not known); {@code phases}: how the
     * CPU time went during each phase, by phase name.
     */
    public static MachineFacts collect(CpuTimes runStart, Map<String, String> phases) {
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
        // On a virtual machine the host may run other guests on these cores: time stolen from the run slows every
        // target, the waking of one process by another most (it goes through the hypervisor).
        CpuTimes end = CpuTimes.now();
        StringBuilder cpu = new StringBuilder("whole run ").append(end == null ? "unknown" : end.since(runStart));
        phases.forEach((phase, times) -> cpu.append("; ").append(phase).append(' ').append(times));
        f.put("CPU time", cpu.toString());
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
