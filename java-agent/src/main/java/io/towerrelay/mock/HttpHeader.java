package io.towerrelay.mock;

/** One header line exactly as received (name case kept, value without surrounding whitespace). */
public record HttpHeader(String name, String value) {}
