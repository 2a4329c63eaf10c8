#pragma once
// Helpers shared by the spec tests: fixtures and "throws myrt::Error whose
// message contains X" checks.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace myrt::spec::testing {

inline std::string fixture_path(const std::string& name) { return std::string(MYRT_SPEC_FIXTURES) + "/" + name; }

inline nlohmann::json load_fixture(const std::string& name) {
    std::ifstream in(fixture_path(name));
    if (!in) throw std::runtime_error("missing fixture " + name);
    return nlohmann::json::parse(in);
}

// The message of the myrt::Error that `fn` throws, or a failure.
inline std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const myrt::Error& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "threw a non-myrt exception: " << e.what();
        return {};
    }
    ADD_FAILURE() << "did not throw";
    return {};
}

}  // namespace myrt::spec::testing

// Asserts that `stmt` throws myrt::Error whose message contains `text`.
#define EXPECT_SPEC_ERROR(stmt, text)                                                              \
    do {                                                                                           \
        std::string msg_ = ::myrt::spec::testing::error_of([&] { (void)(stmt); });                 \
        EXPECT_NE(msg_.find(text), std::string::npos) << "message: " << msg_ << "\nwanted: " << (text); \
    } while (0)
