module vfiogroup/bindings/go

go 1.19

require (
	github.com/mdlayher/genetlink v1.3.1
	github.com/mdlayher/netlink v1.7.1
	golang.org/x/sys v0.3.0
)
