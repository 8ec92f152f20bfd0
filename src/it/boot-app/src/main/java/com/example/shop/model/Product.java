package com.example.shop.model;

import java.math.BigDecimal;

/** A cached value: JSON in Redis, allowed by cachet.serialization.allowed-packages. */
public record Product(String id, String name, BigDecimal price) {}
