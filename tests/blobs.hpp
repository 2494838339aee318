// A small synthetic classification set for tests: three overlapping Gaussian blobs, class i%3
// shifted by `separation` along feature i%3, seeded so that every run sees the same rows.
#pragma once

#include "nabla/dataset.hpp"
#include "nabla/rng.hpp"

inline nabla::Dataset blobs(std::size_t n, std::size_t features, double separation) {
    nabla::Dataset d;
    d.source = "blobs";
    d.x = nabla::Matrix<float>(n, features);
    d.y = nabla::Matrix<float>(n, 3);
    nabla::Rng rng(5);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t label = i % 3;
        for (std::size_t j = 0; j < features; ++j) d.x(i, j) = float(rng.normal() + (j == label ? separation : 0.0));
        d.y(i, label) = 1;
        d.labels.push_back(int(label));
    }
    d.class_names = {"a", "b", "c"};
    return d;
}
