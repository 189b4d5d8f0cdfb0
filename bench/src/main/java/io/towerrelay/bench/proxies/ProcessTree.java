package io.towerrelay.bench.proxies;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Memory of a process and all its descendants (NGINX and Apache run workers as children), from /proc. */
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
