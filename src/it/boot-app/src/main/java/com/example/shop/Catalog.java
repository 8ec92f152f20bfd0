package com.example.shop;

import com.example.shop.model.Product;
import java.math.BigDecimal;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.Cacheable;

/** Cached methods; counts the calls that were not answered by the cache. */
public class Catalog {

  private final AtomicInteger loads = new AtomicInteger();

  @Cacheable(cacheNames = "products", sync = true)
  public Product product(String id) {
    loads.incrementAndGet();
    return new Product(id, "product " + id, new BigDecimal("9.99"));
  }

  @CacheEvict(cacheNames = "products")
  public void evict(String id) {}

  @Cacheable(cacheNames = "exchange-rates")
  public BigDecimal rate(String currency) {
    loads.incrementAndGet();
    return new BigDecimal("1.08");
  }

  public int loads() {
    return loads.get();
  }
}
