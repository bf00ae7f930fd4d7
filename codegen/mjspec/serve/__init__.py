"""The reference server and the stand-ins: servers of the contract, for clients and the kit.

- `refserver`: `mjspec serve`, the generated server stub filled in with a task store
  (profile `doc`), or a stand-in of a family for any other profile;
- `refdata`: the default tasks, derived from the spec's `x-known-values`;
- `standin`: a profile's `x-mjspec-served` rules applied to those tasks;
- `errorbody`: each refusal built from the response the profile declares for it;
- `record`: `mjspec record`, a live server's tasks kept for replay by a stand-in.
"""
