package io.towerrelay.proxy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code java [jvmArgs] -jar tower-relay.jar serve ...} as a child process, as an administrator runs it. */
final class RelayProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on https?://([0-9.]+):(\\d+)");

    private final Process process;
    private final List<String> stderr = new CopyOnWriteArrayList<>();
    private final CompletableFuture<InetSocketAddress> listening = new CompletableFuture<>();

    private RelayProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    stderr.add(line);
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        listening.complete(new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))));
                    }
                }
            } catch (IOException e) {
                // process gone
            }
            listening.completeExceptionally(new IOException("relay exited before listening: " + stderr));
        }, "relay-stderr");
        reader.setDaemon(true);
        reader.start();
    }

    static Path jar() {
        String jar = System.getProperty("towerrelay.jar");
        if (jar == null) {
            throw new IllegalStateException("system property towerrelay.jar not set (run through failsafe)");
        }
        return Path.of(jar);
    }

    /** Starts {@code serve} with the given arguments; stdout (the access log) goes to {@code /dev/null}. */
    static RelayProcess serve(List<String> jvmArgs, String... serveArgs) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(jar().toString());
        command.add("serve");
        command.addAll(List.of(serveArgs));
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return new RelayProcess(process);
    }

    InetSocketAddress awaitListening() throws Exception {
        return listening.get(60, TimeUnit.SECONDS);
    }

    List<String> stderr() {
        return stderr;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, as systemd stops a service; returns the exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("relay did not exit within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
