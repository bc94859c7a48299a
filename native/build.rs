// Sets the linker arguments a Node-API addon needs on each platform (undefined napi_* symbols are
// resolved by the node binary at load time).
fn main() {
    napi_build::setup();
}
