// A dense row-major matrix: rows are samples, columns are features or units. A mini-batch of n
// samples is an n × width Matrix, so the seed's column vectors a^l are the rows of A^l.
#pragma once

#include <cstddef>
#include <vector>

namespace nabla {

template <class T>
struct Matrix {
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<T> data;

    Matrix() = default;
    Matrix(std::size_t r, std::size_t c, T fill = T(0)) : rows(r), cols(c), data(r * c, fill) {}

    T* row(std::size_t i) { return data.data() + i * cols; }
    const T* row(std::size_t i) const { return data.data() + i * cols; }
    T& operator()(std::size_t i, std::size_t j) { return data[i * cols + j]; }
    const T& operator()(std::size_t i, std::size_t j) const { return data[i * cols + j]; }
    std::size_t size() const { return data.size(); }
    bool empty() const { return data.empty(); }
};

}  // namespace nabla
