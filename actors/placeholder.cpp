// The agents arrive with the message-path issue; this keeps the target in the tree.
namespace parley::actors {
int placeholder() { return 0; }
}  // namespace parley::actors
