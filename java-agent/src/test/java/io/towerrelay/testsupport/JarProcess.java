package io.towerrelay.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code java -jar tower-relay.jar ARGS} as a child process, the way users and systemd run it: its
 * stdout and stderr collected line by line, a way to wait for a line, SIGTERM, and the exit code.
 * The jar is the one failsafe passes in the {@code towerrelay.jar} system property.
 */
public final class JarProcess implements AutoCloseable {

    private final Process process;
    private final List<String> stdout = new ArrayList<>();
    private final List<String> stderr = new ArrayList<>();

    private JarProcess(Process process) {
        this.process = process;
        pump(process.getInputStream(), stdout, "stdout");
        pump(process.getErrorStream(), stderr, "stderr");
    }

    public static Path jar() {
        String jar = System.getProperty("towerrelay.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("system property towerrelay.jar does not name the built jar (run through failsafe: mvn verify)");
        }
        return Path.of(jar);
    }

    public static JarProcess start(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        // SIGHUP at its default, as systemd starts the relay, even when the test run itself was started under
        // nohup: an inherited "ignore" would make the JVM ignore the relay's reload signal (CertificateReloadIT).
        command.add("env");
        command.add("--default-signal=HUP");
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jar().toString());
        command.addAll(List.of(args));
        return new JarProcess(new ProcessBuilder(command).start());
    }

    private static void pump(InputStream stream, List<String> lines, String name) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(line);
                        lines.notifyAll();
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, "jar-process-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits for a stdout line matching {@code regex} and returns its match; fails when the process ends first. */
    public Matcher awaitStdout(String regex, Duration timeout) throws InterruptedException {
        return await(stdout, Pattern.compile(regex), timeout);
    }

    public Matcher awaitStderr(String regex, Duration timeout) throws InterruptedException {
        return await(stderr, Pattern.compile(regex), timeout);
    }

    private Matcher await(List<String> lines, Pattern pattern, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int checked = 0;
        synchronized (lines) {
            while (true) {
                for (; checked < lines.size(); checked++) {
                    Matcher matcher = pattern.matcher(lines.get(checked));
                    if (matcher.find()) {
                        return matcher;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && checked == lines.size() && drained())) {
                    throw new AssertionError("no line matching /" + pattern + "/ (alive=" + process.isAlive()
                            + ")\nstdout:\n" + String.join("\n", stdout()) + "\nstderr:\n" + String.join("\n", stderr()));
                }
                lines.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
            }
        }
    }

    private boolean drained() throws InterruptedException {
        // The pump threads may still be reading the last lines of a process that just ended.
        Thread.sleep(200);
        return true;
    }

    /** SIGTERM, as systemd and {@code kill} send; returns the exit code. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return waitFor(timeout);
    }

    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("process still running after " + timeout.toSeconds() + " s\nstdout:\n"
                    + String.join("\n", stdout()) + "\nstderr:\n" + String.join("\n", stderr()));
        }
        Thread.sleep(100); // let the pumps read the last lines
        return process.exitValue();
    }

    public List<String> stdout() {
        synchronized (stdout) {
            return List.copyOf(stdout);
        }
    }

    public List<String> stderr() {
        synchronized (stderr) {
            return List.copyOf(stderr);
        }
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
