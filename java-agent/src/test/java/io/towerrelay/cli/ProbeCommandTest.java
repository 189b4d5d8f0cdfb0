package io.towerrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Usage errors: one line on stderr, exit 2, nothing probed. */
class ProbeCommandTest {

    private record Result(int code, String err) {
    }

    private static Result run(String... args) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    @Test
    void websocketUrlIsAUsageErrorThatSaysWhatToGive() {
        Result r = run("probe", "ws://127.0.0.1:1/websocket/");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("give Tower's page URL (http:// or https://)").doesNotContain("Exception");
    }

    @Test
    void otherBadInputIsExit2WithOneLine() {
        assertThat(run("probe", "ftp://x/").err()).contains("must start with http:// or https://");
        assertThat(run("probe", "http://127.0.0.1:1/", "--timeout", "soon").err())
                .contains("--timeout soon: expected a duration like 10s");
        assertThat(run("probe", "http://127.0.0.1:1/", "--user", "admin").err())
                .contains("--user and --password go together");
        assertThat(run("probe", "http://127.0.0.1:1/", "--ca", "/nonexistent.pem").err())
                .contains("--ca /nonexistent.pem: file not found");
        assertThat(run("probe", "https://127.0.0.1:1/", "--ca", "/etc/hostname", "--insecure").code()).isEqualTo(2);
        assertThat(run("probe", "http://127.0.0.1:1/", "--job", "last").err()).contains("--job last: must be a job id");
        assertThat(run("probe", "http://127.0.0.1:1/", "--idle", "-5").err()).contains("--idle -5");
        assertThat(run("probe").code()).isEqualTo(2);
    }

    @Test
    void caFileWithoutACertificateIsNamed(@TempDir Path dir) throws Exception {
        Path notPem = Files.writeString(dir.resolve("ca.pem"), "hello\n");
        Result r = run("probe", "https://127.0.0.1:1/", "--ca", notPem.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(notPem.toString()).containsAnyOf("BEGIN CERTIFICATE", "not a valid PEM certificate");
    }

    @Test
    void unreachableProxyIsDiagnosedNotAUsageError() {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            int code = Main.run("probe", "http://127.0.0.1:1/", "--json", "--timeout", "2s");
            assertThat(code).isEqualTo(1);
        } finally {
            System.setOut(oldOut);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"cause\" : \"unreachable\"");
    }
}
