package io.towerrelay.edge;

/** An answer the relay gives itself instead of proxying: status, a one-line reason for the body, and whether to close. */
public record Refusal(int status, String reason, boolean close) {}
