package io.towerrelay.bench.proxies;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Memory and CPU time of a process and all its descendants (NGINX and Apache run workers as children), from /proc. */
public final class ProcessTree {

    private ProcessTree() {}

    /** Resident and proportional set sizes, summed over the tree, in KiB. */
    public record Memory(long rssKib, long pssKib, int processes) {}

    public static Memory memory(long rootPid) throws IOException {
        long rss = 0;
        long pss = 0;
        List<Long> pids = tree(rootPid);
        for (long pid : pids) {
            rss += field(Path.of("/proc", Long.toString(pid), "status"), "VmRSS:");
            pss += field(Path.of("/proc", Long.toString(pid), "smaps_rollup"), "Pss:");
        }
        return new Memory(rss, pss, pids.size());
    }

    /**
     * utime and stime of each process of a tree at one moment, in clock ticks, by pid: kept apart because user time
     * (the process's own code) and system time (the kernel's work for its syscalls) point at different causes.
     */
    public record Cpu(Map<Long, Ticks> ticksByPid) {

        /** One process's CPU time so far, in clock ticks. */
        public record Ticks(long user, long system) {}

        /**
         * The tree's CPU time (user + system) since {@code before}, in microseconds. Per process, not the totals: a
         * process that exited between the reads counts as nothing (its ticks before would otherwise come off the
         * sum), and one started meanwhile (Apache spawns children under load) counts in full.
         */
        public double microsSince(Cpu before) {
            return micros(before, true);
        }

        /** The tree's user CPU time since {@code before}, in microseconds, by the same per-process rule. */
        public double userMicrosSince(Cpu before) {
            return micros(before, false);
        }

        private double micros(Cpu before, boolean withSystem) {
            long ticks = 0;
            for (Map.Entry<Long, Ticks> e : ticksByPid.entrySet()) {
                Ticks now = e.getValue();
                Ticks then = before.ticksByPid.getOrDefault(e.getKey(), new Ticks(0, 0));
                ticks += now.user() - then.user();
                if (withSystem) {
                    ticks += now.system() - then.system();
                }
            }
            return ticks * 1e6 / ClockTicks.PER_SECOND;
        }
    }

    public static Cpu cpu(long rootPid) throws IOException {
        Map<Long, Cpu.Ticks> ticks = new HashMap<>();
        for (long pid : tree(rootPid)) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                // Fields 14 and 15 (utime, stime; all threads, the dead ones too); comm (field 2) may hold
                // spaces, so count from the last ')': field 3 (state) is rest[0], utime rest[11], stime rest[12].
                String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks.put(pid, new Cpu.Ticks(Long.parseLong(rest[11]), Long.parseLong(rest[12])));
            } catch (IOException | RuntimeException gone) {
                // exited meanwhile: counts as nothing
            }
        }
        return new Cpu(ticks);
    }

    /** The clock ticks per second /proc counts CPU time in. */
    public static long clockTicksPerSecond() {
        return ClockTicks.PER_SECOND;
    }

    /** Read once, on first use ({@code getconf CLK_TCK}; the kernel's USER_HZ, 100 on every Linux we run on). */
    private static final class ClockTicks {

        static final long PER_SECOND = read();

        private static long read() {
            try {
                Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                if (p.waitFor() == 0) {
                    return Long.parseLong(out);
                }
            } catch (IOException | RuntimeException e) {
                // falls through to the default below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // getconf missing or unreadable: 100 is USER_HZ on x86 and arm64 Linux alike, so the figures stay right
            // there; on a kernel with another USER_HZ they would be off by that factor.
            return 100;
        }
    }

    public static List<Long> tree(long rootPid) throws IOException {
        Map<Long, List<Long>> children = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : procs) {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
                    String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ppid = Long.parseLong(rest[1]);
                    children.computeIfAbsent(ppid, k -> new ArrayList<>()).add(Long.parseLong(p.getFileName().toString()));
                } catch (IOException | RuntimeException gone) {
                    // the process exited while we looked
                }
            }
        }
        List<Long> result = new ArrayList<>();
        Deque<Long> todo = new ArrayDeque<>(List.of(rootPid));
        while (!todo.isEmpty()) {
            long pid = todo.pop();
            result.add(pid);
            todo.addAll(children.getOrDefault(pid, List.of()));
        }
        return result;
    }

    private static long field(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException gone) {
            // exited meanwhile: counts as nothing
        }
        return 0;
    }
}
