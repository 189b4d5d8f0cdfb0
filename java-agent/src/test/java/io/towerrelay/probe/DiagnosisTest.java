package io.towerrelay.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DiagnosisTest {

    private static Check handshake(ProbeReport report, String path) {
        return report.check(CheckIds.handshake(path));
    }

    @Test
    void healthySetupPassesAndExitsZero() {
        ProbeReport report = Diagnosis.diagnose(Evidence.healthy());

        assertThat(report.failures()).isEmpty();
        assertThat(report.liveEventsWork()).isTrue();
        assertThat(report.exitCode()).isZero();
        assertThat(report.check(CheckIds.EVENTS).status()).isEqualTo(CheckStatus.PASS);
        assertThat(report.check(CheckIds.IDLE).status()).isEqualTo(CheckStatus.SKIP);
        assertThat(report.check(CheckIds.TLS).status()).isEqualTo(CheckStatus.SKIP);
        assertThat(report.check(CheckIds.HOST_HEADER).status()).isEqualTo(CheckStatus.PASS);
        assertThat(report.check(CheckIds.CLIENT_ADDRESS).status()).isEqualTo(CheckStatus.PASS);
    }

    @Test
    void plainGetAnsweredWith400MeansTheUpgradeWasNotPassed() {
        String body = "mock-tower: /websocket/ only speaks WebSocket, but this request arrived without 'Upgrade'";
        ProbeReport report = Diagnosis.diagnose(Evidence.withHandshakes(
                Evidence.answered("/api/websocket/", 400, body), Evidence.answered("/websocket/", 400, body)));

        Check check = handshake(report, "/websocket/");
        assertThat(check.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(check.cause()).isEqualTo(Cause.UPGRADE_NOT_PASSED);
        assertThat(check.evidence()).containsEntry("body", body);
        assertThat(check.advice().nginx()).contains("proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;",
                "proxy_set_header Connection $connection_upgrade;");
        assertThat(check.advice().apache()).contains("upgrade=websocket", "ProxyPreserveHost On");
        assertThat(check.advice().relay()).contains("blocked-paths", "/api/websocket/");
        assertThat(report.check(CheckIds.SUBSCRIPTION).status()).isEqualTo(CheckStatus.SKIP);
        assertThat(report.exitCode()).isEqualTo(1);
    }

    @Test
    void theUpgradeEchoNamesTheMissingNginxLines() {
        EchoEvidence echo = new EchoEvidence(200, "tower.example.com", Map.of("host", "tower.example.com"), 200, "",
                new UpgradeEcho("HTTP/1.0", null, "close"));
        Check check = HandshakeDiagnosis.diagnose(Evidence.answered("/websocket/", 400, ""), echo, false);
        assertThat(check.cause()).isEqualTo(Cause.UPGRADE_NOT_PASSED);
        assertThat(check.evidence()).containsEntry("upgrade headers reaching Tower",
                "HTTP/1.0, Upgrade: (none), Connection: close");
        assertThat(check.summary()).contains("missing: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade;"
                + " proxy_set_header Connection $connection_upgrade;");

        EchoEvidence viaApache = new EchoEvidence(200, "tower.example.com",
                Map.of("host", "tower.example.com", "x-forwarded-server", "127.0.0.1"), 200, "",
                new UpgradeEcho("HTTP/1.1", null, "Keep-Alive"));
        assertThat(HandshakeDiagnosis.diagnose(Evidence.answered("/websocket/", 400, ""), viaApache, false).summary())
                .contains("upgrade=websocket on the ProxyPass line").doesNotContain("proxy_http_version");

        UpgradeEcho onlyVersion = new UpgradeEcho("HTTP/1.0", "websocket", "upgrade");
        assertThat(onlyVersion.missingNginxLines()).containsExactly("proxy_http_version 1.1;");
        assertThat(new UpgradeEcho("HTTP/1.1", "websocket", "Upgrade").missingNginxLines()).isEmpty();
    }

    @Test
    void statuses426And404AlsoMeanAPlainGetReachedTower() {
        for (int status : new int[] {426, 404, 200}) {
            ProbeReport report = Diagnosis.diagnose(Evidence.withHandshakes(
                    Evidence.answered("/api/websocket/", status, ""), Evidence.answered("/websocket/", status, "")));
            assertThat(handshake(report, "/api/websocket/").cause()).as("status %d", status)
                    .isEqualTo(Cause.UPGRADE_NOT_PASSED);
        }
    }

    @Test
    void a504OnTheHandshakeIsTheSeedsSymptom() {
        ProbeReport report = Diagnosis.diagnose(Evidence.withHandshakes(
                Evidence.answered("/api/websocket/", 504, "Gateway Time-out"),
                Evidence.answered("/websocket/", 504, "Gateway Time-out")));

        Check check = handshake(report, "/websocket/");
        assertThat(check.cause()).isEqualTo(Cause.HANDSHAKE_TIMED_OUT);
        assertThat(check.summary()).contains("Unexpected response code: 504");
    }

    @Test
    void noAnswerWithinTheTimeoutIsATimedOutHandshake() {
        HandshakeEvidence silent = new HandshakeEvidence("/websocket/", URI.create("ws://t/websocket/"), "http://t",
                Evidence.COOKIES, 0, null, Map.of(), "", false, true, null, "probe timeout", 10_000);
        Check check = HandshakeDiagnosis.diagnose(silent, null, false);
        assertThat(check.cause()).isEqualTo(Cause.HANDSHAKE_TIMED_OUT);
        assertThat(check.evidence()).containsEntry("after", "10.0 s");
        assertThat(HandshakeDiagnosis.evidence(Evidence.answered("/websocket/", 400, "")).containsKey("after")).isFalse();
    }

    @Test
    void connectionClosedWithoutAnAnswerIsClosedBeforeEstablished() {
        HandshakeEvidence closed = new HandshakeEvidence("/websocket/", URI.create("ws://t/websocket/"), "http://t",
                Evidence.COOKIES, 0, null, Map.of(), "", false, false,
                new TransportError(TransportError.Kind.CLOSED, "Connection reset"), null, 3);
        Check check = HandshakeDiagnosis.diagnose(closed, null, false);
        assertThat(check.cause()).isEqualTo(Cause.CLOSED_BEFORE_ESTABLISHED);
        assertThat(check.summary()).contains("closed before the connection is established");
        assertThat(check.advice().tower()).contains("REMOTE_HOST_HEADERS");
    }

    @Test
    void a101WithoutAValidHandshakeIsMangled() {
        HandshakeEvidence bad = Evidence.answered("/websocket/", 101, "");
        assertThat(HandshakeDiagnosis.diagnose(bad, null, false).cause()).isEqualTo(Cause.UPGRADE_MANGLED);
    }

    @Test
    void a404OnOnePathWhileTheOtherWorksIsOnlyAWarning() {
        ProbeReport report = Diagnosis.diagnose(Evidence.withHandshakes(
                Evidence.answered("/api/websocket/", 404, "{\"detail\":\"Not found.\"}"),
                Evidence.opened("/websocket/")));

        Check check = handshake(report, "/api/websocket/");
        assertThat(check.status()).isEqualTo(CheckStatus.WARN);
        assertThat(check.cause()).isEqualTo(Cause.PATH_NOT_ROUTED);
        assertThat(report.exitCode()).isZero();
    }

    @Test
    void a400OnOnePathWhileTheOtherWorksIsStillAFailure() {
        // The seed's NGINX config: only /websocket/ gets the upgrade headers; AWX 23.8+ uses /api/websocket/.
        ProbeReport report = Diagnosis.diagnose(Evidence.withHandshakes(
                Evidence.answered("/api/websocket/", 400, "only speaks WebSocket"), Evidence.opened("/websocket/")));

        assertThat(handshake(report, "/api/websocket/").cause()).isEqualTo(Cause.UPGRADE_NOT_PASSED);
        assertThat(report.exitCode()).isEqualTo(1);
    }

    @Test
    void forbiddenWithoutASessionCookieMeansNotLoggedIn() {
        HandshakeEvidence h = new HandshakeEvidence("/websocket/", URI.create("ws://t/websocket/"), "http://t",
                List.of(), 403, "HTTP/1.1 403 Forbidden", Map.of(), "access denied", false, false, null, null, 5);
        Check check = HandshakeDiagnosis.diagnose(h, Evidence.healthyEcho(), false);
        assertThat(check.cause()).isEqualTo(Cause.NOT_LOGGED_IN);
        assertThat(check.advice().fix()).contains("--user");
        assertThat(check.advice().nginx()).contains("proxy_hide_header Set-Cookie");
    }

    @Test
    void forbiddenWhenTheCookieWasSentButNeverArrivedMeansTheProxyDropsCookies() {
        EchoEvidence echo = Evidence.echo(Map.of("host", "tower.example.com", "x-forwarded-for", "203.0.113.9"));
        Check check = HandshakeDiagnosis.diagnose(Evidence.answered("/websocket/", 403, "access denied"), echo, false);
        assertThat(check.cause()).isEqualTo(Cause.COOKIES_NOT_PASSED);
        assertThat(check.evidence()).containsEntry("cookie reaching Tower", "(none)");
        assertThat(check.advice().nginx()).contains("proxy_set_header Cookie");
        assertThat(check.advice().apache()).contains("RequestHeader unset Cookie");
    }

    @Test
    void forbiddenWithHostRewrittenPointsAtTheCsrfOriginCheck() {
        EchoEvidence echo = Evidence.echo(Map.of("host", "127.0.0.1:8052", "cookie", "awx_sessionid=a; csrftoken=b"));
        Check check = HandshakeDiagnosis.diagnose(Evidence.answered("/websocket/", 403, ""), echo, false);
        assertThat(check.cause()).isEqualTo(Cause.HOST_REWRITTEN);
        assertThat(check.evidence()).containsEntry("host reaching Tower", "127.0.0.1:8052");
        assertThat(check.advice().nginx()).isEqualTo("proxy_set_header Host $http_host;");
        assertThat(check.advice().apache()).isEqualTo("ProxyPreserveHost On");
    }

    @Test
    void forbiddenWithEverythingForwardedIsAnOriginOrSessionRefusal() {
        Check check = HandshakeDiagnosis.diagnose(Evidence.answered("/websocket/", 403, ""), Evidence.healthyEcho(),
                false);
        assertThat(check.cause()).isEqualTo(Cause.HANDSHAKE_FORBIDDEN);
        assertThat(check.advice().relay()).contains("allowed-origins");
    }

    @Test
    void hostRewrittenFailsTheHostCheckEvenWhenTheSocketOpens() {
        EchoEvidence echo = new EchoEvidence(200, "tower.example.com",
                Map.of("host", "127.0.0.1:8052", "cookie", "awx_sessionid=a", "x-forwarded-for", "203.0.113.9"), 403,
                "{\"detail\":\"CSRF Failed: Origin checking failed\"}", null);
        ProbeEvidence ev = new ProbeEvidence(Evidence.page(), echo, SettingsEvidence.NOT_READ,
                List.of(Evidence.opened("/api/websocket/"), Evidence.opened("/websocket/")), Evidence.streaming(),
                null, 0);
        ProbeReport report = Diagnosis.diagnose(ev);

        Check host = report.check(CheckIds.HOST_HEADER);
        assertThat(host.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(host.cause()).isEqualTo(Cause.HOST_REWRITTEN);
        assertThat(host.evidence().get("same-origin POST")).startsWith("403").contains("CSRF Failed");
        assertThat(report.exitCode()).isEqualTo(1);
    }

    @Test
    void refusedSubscriptionIsAnXrftokenProblem() {
        SessionEvidence refused = new SessionEvidence("/websocket/", "{\"accept\": true}", false,
                SessionEvidence.Subscription.REFUSED, "{\"error\": \"access denied to channel\"}", List.of(), 0, 0,
                null, 20);
        Check check = Diagnosis.subscription(refused);
        assertThat(check.cause()).isEqualTo(Cause.SUBSCRIPTION_REFUSED);
        assertThat(check.summary()).contains("no csrftoken cookie");
        assertThat(check.advice().fix()).contains("xrftoken", "csrftoken");
        assertThat(Diagnosis.events(refused).status()).isEqualTo(CheckStatus.SKIP);
    }

    @Test
    void openSocketWithoutTowersAcceptMessage() {
        SessionEvidence silent = new SessionEvidence("/websocket/", null, true, SessionEvidence.Subscription.NOT_SENT,
                null, List.of(), 0, 0, null, 10_000);
        assertThat(Diagnosis.subscription(silent).cause()).isEqualTo(Cause.NO_ACCEPT);
    }

    @Test
    void joinedButNothingArrives() {
        SessionEvidence quiet = new SessionEvidence("/websocket/", "{\"accept\": true}", true,
                SessionEvidence.Subscription.JOINED, "{}", List.of(), 0, 0, null, 10_000);
        Check check = Diagnosis.events(quiet);
        assertThat(check.cause()).isEqualTo(Cause.NO_EVENTS);
        assertThat(check.summary()).contains("10.0 s");
    }

    @Test
    void eventsOutOfOrder() {
        SessionEvidence mixed = new SessionEvidence("/websocket/", "{\"accept\": true}", true,
                SessionEvidence.Subscription.JOINED, "{}", List.of(1L, 3L, 2L), 0, 0, null, 100);
        assertThat(Diagnosis.events(mixed).cause()).isEqualTo(Cause.EVENTS_OUT_OF_ORDER);
    }

    @Test
    void closedWhileStreaming() {
        SessionEvidence cut = new SessionEvidence("/websocket/", "{\"accept\": true}", true,
                SessionEvidence.Subscription.JOINED, "{}", List.of(1L), 0, 0, new CloseInfo(1006, "", true, 700), 700);
        Check check = Diagnosis.events(cut);
        assertThat(check.cause()).isEqualTo(Cause.CLOSED_WHILE_STREAMING);
        assertThat(check.summary()).contains("1006");
    }

    @Test
    void idleSocketCutByTheProxyReadTimeout() {
        IdleEvidence cut = new IdleEvidence(10, new CloseInfo(1006, "", true, 5_000), 0, false);
        ProbeEvidence ev = new ProbeEvidence(Evidence.page(), Evidence.healthyEcho(), null,
                List.of(Evidence.opened("/api/websocket/")), Evidence.streaming(), cut, 10);
        ProbeReport report = Diagnosis.diagnose(ev);

        Check idle = report.check(CheckIds.IDLE);
        assertThat(idle.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(idle.cause()).isEqualTo(Cause.IDLE_CUT);
        assertThat(idle.evidence().get("close")).contains("after 5.0 s", "1006");
        assertThat(idle.advice().nginx()).contains("proxy_read_timeout 1h;");
        assertThat(idle.advice().apache()).contains("timeout=3600");
        assertThat(idle.advice().relay()).contains("idle-timeout: 1h");
        assertThat(report.liveEventsWork()).isFalse();
    }

    @Test
    void idleSocketThatSurvivesAndCarriesEventsAgainPasses() {
        IdleEvidence fine = new IdleEvidence(10, null, 0, true);
        ProbeEvidence ev = new ProbeEvidence(Evidence.page(), Evidence.healthyEcho(), null,
                List.of(Evidence.opened("/api/websocket/")), Evidence.streaming(), fine, 10);
        assertThat(Diagnosis.idle(ev).status()).isEqualTo(CheckStatus.PASS);
        IdleEvidence deaf = new IdleEvidence(10, null, 0, false);
        ProbeEvidence deafEv = new ProbeEvidence(Evidence.page(), Evidence.healthyEcho(), null,
                List.of(Evidence.opened("/api/websocket/")), Evidence.streaming(), deaf, 10);
        assertThat(Diagnosis.idle(deafEv).cause()).isEqualTo(Cause.IDLE_DEAF);
    }

    @Test
    void missingXForwardedForIsAWarningWithRemoteHostHeadersAdvice() {
        EchoEvidence echo = Evidence.echo(Map.of("host", "tower.example.com", "cookie", "awx_sessionid=a"));
        Check check = Diagnosis.clientAddress(echo, SettingsEvidence.NOT_READ);
        assertThat(check.status()).isEqualTo(CheckStatus.WARN);
        assertThat(check.cause()).isEqualTo(Cause.CLIENT_ADDRESS_NOT_FORWARDED);
        assertThat(check.advice().nginx()).isEqualTo("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;");
        assertThat(check.advice().tower()).contains("HTTP_X_FORWARDED_FOR");
    }

    @Test
    void forwardedButIgnoredByTowerSettings() {
        Check check = Diagnosis.clientAddress(Evidence.healthyEcho(),
                new SettingsEvidence(200, List.of("REMOTE_ADDR", "REMOTE_HOST")));
        assertThat(check.cause()).isEqualTo(Cause.REMOTE_HOST_HEADERS_MISSING);
        Check ok = Diagnosis.clientAddress(Evidence.healthyEcho(),
                new SettingsEvidence(200, List.of("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")));
        assertThat(ok.status()).isEqualTo(CheckStatus.PASS);
    }

    @Test
    void withoutTheEchoEndpointTheUpstreamChecksAreSkipped() {
        EchoEvidence none = EchoEvidence.unavailable(404, "tower.example.com");
        assertThat(Diagnosis.hostHeader(none).status()).isEqualTo(CheckStatus.SKIP);
        assertThat(Diagnosis.clientAddress(none, SettingsEvidence.NOT_READ).status()).isEqualTo(CheckStatus.SKIP);
    }

    @Test
    void untrustedCertificateFailsTlsAndSkipsTheRest() {
        PageEvidence page = new PageEvidence(URI.create("https://127.0.0.1:8443/"), 0, null, Set.of(), "", null,
                new TransportError(TransportError.Kind.TLS_UNTRUSTED, "PKIX path building failed"));
        ProbeReport report = Diagnosis.diagnose(new ProbeEvidence(page, null, null, List.of(), null, null, 0));

        Check tls = report.check(CheckIds.TLS);
        assertThat(tls.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(tls.cause()).isEqualTo(Cause.TLS_UNTRUSTED);
        assertThat(tls.advice().fix()).contains("--ca");
        assertThat(report.check(CheckIds.PAGE).status()).isEqualTo(CheckStatus.SKIP);
        assertThat(handshake(report, "/websocket/").status()).isEqualTo(CheckStatus.SKIP);
        assertThat(report.exitCode()).isEqualTo(1);
    }

    @Test
    void httpsUrlOnAPlainPortAndHttpUrlOnATlsPortAreSchemeMismatches() {
        PageEvidence notTls = new PageEvidence(URI.create("https://127.0.0.1:8080/"), 0, null, Set.of(), "", null,
                new TransportError(TransportError.Kind.TLS_NOT_TLS, "Unsupported or unrecognized SSL message"));
        assertThat(Diagnosis.tls(notTls).cause()).isEqualTo(Cause.TLS_SCHEME_MISMATCH);

        PageEvidence plainToTls = new PageEvidence(URI.create("http://127.0.0.1:8443/"), 400, "nginx", Set.of(),
                "<center>The plain HTTP request was sent to HTTPS port</center>", null, null);
        assertThat(Diagnosis.tls(plainToTls).cause()).isEqualTo(Cause.TLS_SCHEME_MISMATCH);
    }

    @Test
    void insecureTlsIsAWarningNotAPass() {
        PageEvidence page = new PageEvidence(URI.create("https://127.0.0.1:8443/"), 200, "nginx", Set.of(), "",
                new TlsSession("TLSv1.3, CN=x, issued by CN=x", false), null);
        Check tls = Diagnosis.tls(page);
        assertThat(tls.status()).isEqualTo(CheckStatus.WARN);
        assertThat(tls.evidence().get("tls")).contains("NOT verified");
        assertThat(ReportWriter.human(new ProbeReport("https://127.0.0.1:8443/", java.util.List.of(tls))))
                .contains("Fix: Run again with --ca FILE");
    }

    @Test
    void aPortAnsweringTheOtherSchemeIsASchemeMismatchAndNothingElseIsTried() {
        PageEvidence hung = new PageEvidence(URI.create("https://127.0.0.1:8052/"), 0, null, Set.of(), "", null,
                new TransportError(TransportError.Kind.TIMEOUT, "Read timed out"))
                .withOtherScheme("http://127.0.0.1:8052/ answers HTTP/1.1 200 OK");
        ProbeReport report = Diagnosis.diagnose(new ProbeEvidence(hung, null, null, List.of(), null, null, 0));

        Check tls = report.check(CheckIds.TLS);
        assertThat(tls.cause()).isEqualTo(Cause.TLS_SCHEME_MISMATCH);
        assertThat(tls.summary()).contains("does not speak TLS", "answers HTTP/1.1 200 OK");
        assertThat(report.check(CheckIds.PAGE).status()).isEqualTo(CheckStatus.SKIP);
        assertThat(handshake(report, "/websocket/").summary()).contains("wrong scheme");
        assertThat(report.failures()).extracting(Check::cause).containsExactly(Cause.TLS_SCHEME_MISMATCH);
    }

    @Test
    void refusedConnectionIsUnreachable() {
        PageEvidence page = new PageEvidence(URI.create("http://127.0.0.1:1/"), 0, null, Set.of(), "", null,
                new TransportError(TransportError.Kind.REFUSED, "Connection refused"));
        ProbeReport report = Diagnosis.diagnose(new ProbeEvidence(page, null, null, List.of(), null, null, 0));
        assertThat(report.check(CheckIds.PAGE).cause()).isEqualTo(Cause.UNREACHABLE);
        assertThat(report.exitCode()).isEqualTo(1);
    }
}
