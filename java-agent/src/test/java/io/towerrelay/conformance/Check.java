package io.towerrelay.conformance;

/** The assertions every front proxy is held to: what a Tower user or admin would check. */
enum Check {
    PAGE_LOADS("page loads", "GET / answers 200 with the page and sets the awx_sessionid and csrftoken cookies"),
    EVENTS_WEBSOCKET("live events /websocket/", "the socket opens with the page's cookies, subscribes, and job events arrive in order"),
    EVENTS_API_WEBSOCKET("live events /api/websocket/", "the same on AWX 23.8+'s second path"),
    HOST_REACHES_UPSTREAM("Host", "upstream sees the Host the browser used (Tower's CSRF check compares it with Origin)"),
    FORWARDED_FOR_REACHES_UPSTREAM("X-Forwarded-For", "upstream sees the client's address in X-Forwarded-For"),
    IDLE_75S_SURVIVES("idle 75 s", "a socket with no traffic for 75 s still subscribes and gets events (a 60 s proxy timeout cuts it)"),
    REFUSED_HANDSHAKE_WEBSOCKET("403 passed /websocket/", "a handshake without the session cookie gets Tower's 403, not a tunnel or another error"),
    REFUSED_HANDSHAKE_API_WEBSOCKET("403 passed /api/websocket/", "the same on /api/websocket/"),
    HTTP2_AND_HTTP11_ON_TLS("h2 and http/1.1 on the TLS port", "an HTTP/2 client gets HTTP/2 and an HTTP/1.1 client "
            + "HTTP/1.1 on the same TLS port (browsers load the UI over h2, open WebSockets over http/1.1)", true);

    final String column;
    final String meaning;
    /** Only for fronts served over TLS; plain-HTTP fronts show "n/a" in the table. */
    final boolean tlsOnly;

    Check(String column, String meaning) {
        this(column, meaning, false);
    }

    Check(String column, String meaning, boolean tlsOnly) {
        this.column = column;
        this.meaning = meaning;
        this.tlsOnly = tlsOnly;
    }

    boolean appliesTo(Front front) {
        return front.tls || !tlsOnly;
    }
}
