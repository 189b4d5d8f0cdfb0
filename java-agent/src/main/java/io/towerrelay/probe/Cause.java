package io.towerrelay.probe;

/** A diagnosed cause; {@link #code()} is the stable string of the {@code --json} document. */
public enum Cause {
    UNREACHABLE("unreachable"),
    PAGE_ERROR("page-error"),
    TLS_UNTRUSTED("tls-certificate-untrusted"),
    TLS_HOSTNAME_MISMATCH("tls-hostname-mismatch"),
    TLS_SCHEME_MISMATCH("tls-scheme-mismatch"),
    TLS_FAILED("tls-failed"),
    UPGRADE_NOT_PASSED("upgrade-not-passed"),
    HANDSHAKE_TIMED_OUT("handshake-timed-out"),
    UPGRADE_MANGLED("upgrade-mangled"),
    PATH_NOT_ROUTED("path-not-routed"),
    NOT_LOGGED_IN("not-logged-in"),
    COOKIES_NOT_PASSED("cookies-not-passed"),
    HOST_REWRITTEN("host-rewritten"),
    HANDSHAKE_FORBIDDEN("handshake-forbidden"),
    HANDSHAKE_REFUSED("handshake-refused"),
    CLOSED_BEFORE_ESTABLISHED("closed-before-established"),
    NO_ACCEPT("no-accept-message"),
    SUBSCRIPTION_REFUSED("subscription-refused"),
    NO_EVENTS("no-events"),
    EVENTS_OUT_OF_ORDER("events-out-of-order"),
    CLOSED_WHILE_STREAMING("closed-while-streaming"),
    IDLE_CUT("idle-timeout"),
    IDLE_DEAF("dead-after-idle"),
    CLIENT_ADDRESS_NOT_FORWARDED("client-address-not-forwarded"),
    REMOTE_HOST_HEADERS_MISSING("remote-host-headers-missing");

    private final String code;

    Cause(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
