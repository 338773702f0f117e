module github.com/ipfi-go/ipfi/cluster

go 1.26.0

require github.com/ipfi-go/ipfi v0.0.0

replace github.com/ipfi-go/ipfi => ../
