package io.towerrelay.probe;

import java.util.List;

/** Names from Tower's (AWX's) web tier that the probe relies on, as the Tower UI uses them. */
final class TowerProtocol {
    static final String SESSION_COOKIE = "awx_sessionid";
    static final String CSRF_COOKIE = "csrftoken";
    /** AWX 23.8+ first, then the path older Tower uses. */
    static final List<String> WEBSOCKET_PATHS = List.of("/api/websocket/", "/websocket/");
    static final String ECHO_PATH = "/api/v2/mock/echo/";
    /** AWX's ping: {@code active_node} names the node that answered it. */
    static final String PING_PATH = "/api/v2/ping/";
    static final String SETTINGS_PATH = "/api/v2/settings/system/";
    static final String LOGIN_PATH = "/api/login/";
    static final String FORWARDED_FOR_SETTING = "HTTP_X_FORWARDED_FOR";

    private TowerProtocol() {
    }
}
